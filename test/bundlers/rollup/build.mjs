// Rollup with node-resolve (browser), ES module output: no plugin for the .wasm.
import { nodeResolve } from '@rollup/plugin-node-resolve';
import { rollup } from 'rollup';

export async function build(dir) {
  const warnings = [];
  const bundle = await rollup({
    input: `${dir}app.js`,
    plugins: [nodeResolve({ browser: true })],
    // Rollup reports import cycles between modules as warnings; they are not about the build
    // working, so only the other warnings count.
    onwarn: (warning) => {
      if (warning.code !== 'CIRCULAR_DEPENDENCY') warnings.push(warning.message);
    },
  });
  await bundle.write({ dir: `${dir}out/`, format: 'es' });
  await bundle.close();
  return { outDir: `${dir}out/`, warnings };
}
