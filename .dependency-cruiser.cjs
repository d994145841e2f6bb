/**
 * The layers of src/, top to bottom; a module imports its own layer and the layers below it:
 *
 *   app      src/app, src/trpc, src/instrumentation.ts: may import anything below
 *   api      tRPC context, procedures, the board's HTTP answers, bounded request bodies
 *   root     the composition root (src/server/composition-root.ts): the process's services wired to db, Redis and env
 *   domain   scoring, auth, admin, health: functions over the dependencies they are handed
 *   infra    Postgres, Redis, logs and metrics
 *   shared   env, the board's types and small helpers: they import nothing of ours above them
 *
 * Besides, client code (what runs in the browser) names nothing of src/server but the router's type.
 * `npm run lint:layers` checks them, with no import cycles (type-only imports count); `npm test` runs it first.
 * @type {import("dependency-cruiser").IConfiguration}
 */
const api = ["^src/server/api/"];
const root = ["^src/server/composition-root\\.ts$"];
const domain = ["^src/server/(scoring|auth|admin)/", "^src/server/health\\.ts$"];
const infra = ["^src/server/(db|redis|observability)/"];
const shared = ["^src/env\\.js$", "^src/lib/", "^src/server/board/", "^src/server/(process-wide|client-ip|shutdown|deployment-keys)\\.ts$"];
const client = ["^src/app/(|.*/)_components/", "^src/components/", "^src/app/admin/admin-console\\.tsx$", "^src/trpc/(react\\.tsx|links\\.ts|query-client\\.ts)$"];

/** A rule: modules of `layer` import nothing under src/ but `allowed`. */
function importsOnly(name, comment, layer, allowed) {
  return { name, comment, severity: "error", from: { path: layer }, to: { path: "^src/", pathNot: allowed } };
}

// dependency-cruiser 17 has swc parse every file as plain TypeScript, which stops at JSX (its 18.3
// reads .tsx itself, sverweij/dependency-cruiser#1086, but needs Node 22). Until then its @swc/core,
// the same module instance, parses .tsx files with JSX on: pages and components are checked too.
const swc = require("@swc/core");
const parseFileSync = swc.parseFileSync;
swc.parseFileSync = (file, options) => parseFileSync(file, file.endsWith(".tsx") ? { ...options, tsx: true } : options);

module.exports = {
  forbidden: [
    {
      name: "no-circular",
      comment: "Modules that import each other (types included) have no layer order a reader can follow.",
      severity: "error",
      from: {},
      to: { circular: true },
    },
    importsOnly("api-imports-down", "The API layer uses the composition root, domain, infra and shared modules, never pages.", api, [...api, ...root, ...domain, ...infra, ...shared]),
    importsOnly("root-imports-down", "The composition root wires domain, infra and shared modules; the API uses it, not the other way round.", root, [...root, ...domain, ...infra, ...shared]),
    importsOnly("domain-imports-down", "Domain code is handed its dependencies: it imports infra and shared modules, never the API or the composition root.", domain, [...domain, ...infra, ...shared]),
    importsOnly("infra-imports-down", "Postgres, Redis and observability know nothing of the API or the domain above them.", infra, [...infra, ...shared]),
    importsOnly("shared-imports-nothing-above", "The bottom: env, the board's types and helpers import only each other.", shared, shared),
    {
      name: "client-imports-no-server",
      comment:
        "Client code ships to the browser: of src/server it names only the router's type, `import type { AppRouter }` from src/server/api/root.ts " +
        "(swc does not mark type-only imports, so that one module is allowed by name).",
      severity: "error",
      from: { path: client },
      to: { path: "^src/server/", pathNot: "^src/server/api/root\\.ts$" },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    // Tests and their support reach across layers on purpose (a scoring test calls the API).
    exclude: { path: ["\\.test\\.ts$", "^test/"] },
    tsConfig: { fileName: "tsconfig.json" },
    tsPreCompilationDeps: true,
    // dependency-cruiser parses TypeScript with the compiler only below TypeScript 7 (which this
    // project builds with), so swc parses here; it counts `import type` as an import too.
    parser: "swc",
  },
};
