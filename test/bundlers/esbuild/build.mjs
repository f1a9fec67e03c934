// esbuild, browser platform, ES module output: no loader or plugin for the .wasm.
import * as esbuild from 'esbuild';

export async function build(dir) {
  const result = await esbuild.build({
    entryPoints: [`${dir}app.js`],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    outfile: `${dir}out/app.js`,
    logLevel: 'silent',
  });
  return { outDir: `${dir}out/`, warnings: result.warnings.map((w) => w.text) };
}
