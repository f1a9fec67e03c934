// Landing page: only loads the core, so the header shows whether WebAssembly works here.
import { loadCore } from './common.js';

loadCore().then(() => {
  document.body.dataset.ready = 'true';
});
