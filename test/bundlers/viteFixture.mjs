// Vite with no config file: `vite build`, and the dev server (dependency pre-bundling on).
// The Vite 8 and Vite 6 fixtures pass their own copy of Vite.

/** build(dir) and serve(dir) for one Vite version. */
export function viteFixture(vite) {
  async function build(dir) {
    const warnings = [];
    const logger = {
      info() {},
      warn: (m) => warnings.push(m),
      warnOnce: (m) => warnings.push(m),
      error: (m) => warnings.push(m),
      clearScreen() {},
      hasErrorLogged: () => false,
      hasWarned: false,
    };
    await vite.build({ root: dir, configFile: false, customLogger: logger, build: { outDir: `${dir}out/` } });
    return { outDir: `${dir}out/`, warnings };
  }

  async function serve(dir) {
    const server = await vite.createServer({
      root: dir,
      configFile: false,
      logLevel: 'error',
      server: { host: '127.0.0.1', port: 0, hmr: false, watch: null },
    });
    await server.listen();
    const { port } = server.httpServer.address();
    return { url: `http://127.0.0.1:${port}/`, close: () => server.close() };
  }

  return { build, serve };
}
