// The app every bundler fixture bundles: the README's example against the package as
// installed from its tarball, with no bundler configuration for the WebAssembly core.
// It writes the results (or the error) into #out for the test to read.
import { init, MapleTree, GpuVm, MAX_INDEX } from 'maple-gpuvm';

function run() {
  const tree = new MapleTree();
  tree.storeRange(10, 19, 'a');
  tree.storeRange(15, 15, 'b');
  const ids = new MapleTree({ allocRange: true });
  let code = '';
  try {
    tree.insertRange(15, 20, 'c');
  } catch (e) {
    code = e.code;
  }
  const vm = new GpuVm({ start: 0, range: 2 ** 47 });
  vm.insert({ addr: 0x10000, range: 0x4000, obj: null, offset: 0 });
  const ops = vm.smMapOps({ addr: 0x12000, range: 0x1000, obj: null, offset: 0 }).map((op) => op.type);
  return [tree.backend, tree.load(17), tree.erase(12), tree.find(0), ids.allocRange(4096, {}, 0, MAX_INDEX), ids.allocRRange(16, {}) === MAX_INDEX - 15, code, ops];
}

const out = document.getElementById('out');
init().then(
  () => {
    out.textContent = JSON.stringify(run());
  },
  (error) => {
    out.textContent = `error: ${error.message}`;
  },
);
