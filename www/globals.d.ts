// What the page puts on `window`: sql.js's loader (a classic script in index.html), the
// promise of it, and the handle the e2e tests read (`window.btlab`).
interface Window {
  initSqlJs: (config: { locateFile: (file: string) => string }) => Promise<any>;
  sqlReady: Promise<any>;
  btlab: Record<string, any>;
}
