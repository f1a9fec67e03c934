// webpack 5, production mode, ES module output: no rule, loader or experiment for the .wasm.
import webpack from 'webpack';

export function build(dir) {
  const config = {
    mode: 'production',
    context: dir,
    entry: './app.js',
    output: { path: `${dir}out/`, filename: 'app.js', module: true },
    experiments: { outputModule: true },
  };
  return new Promise((resolve, reject) => {
    webpack(config, (error, stats) => {
      if (error) return reject(error);
      const info = stats.toJson({ all: false, errors: true, warnings: true });
      if (stats.hasErrors()) return reject(new Error(info.errors.map((e) => e.message).join('\n')));
      resolve({ outDir: `${dir}out/`, warnings: info.warnings.map((w) => w.message) });
    });
  });
}
