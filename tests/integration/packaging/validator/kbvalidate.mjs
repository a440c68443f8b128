// Offline, strict validation of Kubernetes manifests for the packaging tests.
//
//   node kbvalidate.mjs to-json FILE              every YAML document of FILE as one JSON array
//   node kbvalidate.mjs validate [--crd CRD]... FILE...
//       validates every document; prints a JSON report [{file, index, apiVersion, kind, name,
//       errors: [...]}] and exits 1 when any document has an error.
//
// Built-in kinds are checked with the validators kubernetes-models compiled from the Kubernetes
// OpenAPI schemas (ServiceMonitor: Prometheus Operator's). Those schemas, like the API server,
// accept unknown fields; `kubectl --validate=strict` does not, and neither do we: the data is
// wrapped in a Proxy that records which property names the compiled validator looks up on each
// object. A key it never looked up on an object whose schema names properties is an unknown field.
// Objects whose schema is a map (labels) are enumerated by the validator and count as known;
// free-form objects (no property looked up, no enumeration) are not checked.
//
// Custom resources are checked against the openAPIV3Schema of a CRD given with --crd, with Ajv,
// unknown fields rejected unless the schema says x-kubernetes-preserve-unknown-fields.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import YAML from "yaml";
import Ajv from "ajv";

const require = createRequire(import.meta.url);

function loadDocs(file) {
  const docs = YAML.parseAllDocuments(readFileSync(file, "utf8"), { uniqueKeys: true });
  const out = [];
  for (const doc of docs) {
    if (doc.errors.length) throw new Error(`${file}: ${doc.errors.map((e) => e.message).join("; ")}`);
    const value = doc.toJS();
    if (value !== null && value !== undefined) out.push(value);
  }
  return out;
}

// apiVersion + kind -> the module of the compiled schema validator.
const kPackages = { "monitoring.coreos.com": "@kubernetes-models/prometheus-operator" };
async function builtinValidator(apiVersion, kind) {
  const slash = apiVersion.indexOf("/");
  const group = slash < 0 ? "" : apiVersion.slice(0, slash);
  const pkg = kPackages[group] ?? "kubernetes-models";
  const pkgRoot = dirname(require.resolve(`${pkg}/package.json`));
  const modelFile = join(pkgRoot, apiVersion, `${kind}.js`);
  let source;
  try {
    source = readFileSync(modelFile, "utf8");
  } catch {
    return null;
  }
  const m = /import\{validate\}from"([^"]+)"/.exec(source);
  if (!m) throw new Error(`${modelFile}: no schema import found`);
  const mod = await import(pathToFileURL(join(dirname(modelFile), m[1])).href);
  return mod.validate;
}

// Wraps `root` so that every property lookup and enumeration the validator makes is recorded.
function instrument(root) {
  const info = new WeakMap();  // target -> {probed: Set, enumerated: bool}
  const proxies = new WeakMap();
  const note = (t) => {
    let i = info.get(t);
    if (!i) info.set(t, (i = { probed: new Set(), enumerated: false }));
    return i;
  };
  const wrap = (value) => {
    if (value === null || typeof value !== "object") return value;
    let p = proxies.get(value);
    if (p) return p;
    p = new Proxy(value, {
      get(t, key, receiver) {
        if (typeof key === "string") note(t).probed.add(key);
        return wrap(Reflect.get(t, key, receiver));
      },
      has(t, key) {
        if (typeof key === "string") note(t).probed.add(key);
        return Reflect.has(t, key);
      },
      ownKeys(t) {
        note(t).enumerated = true;
        return Reflect.ownKeys(t);
      },
    });
    proxies.set(value, p);
    return p;
  };
  return { proxy: wrap(root), info };
}

// kubernetes-models' generator strips `description` and `x-kubernetes-*` keys from the schemas it
// compiles, which also removes the JSONSchemaProps properties of those names (a CRD's
// openAPIV3Schema uses them everywhere): they are never looked up, so they cannot be judged here.
// A CRD's schema is compiled by Ajv as well (crdValidators), which rejects a malformed one.
const kStrippedByGenerator = (key) => key === "description" || key.startsWith("x-kubernetes-");

function unknownFields(node, info, path, out) {
  if (node === null || typeof node !== "object") return;
  const i = info.get(node);
  if (!i) return;  // the validator never looked inside: free-form
  if (Array.isArray(node)) {
    node.forEach((v, k) => unknownFields(v, info, `${path}/${k}`, out));
    return;
  }
  const checkKeys = !i.enumerated && i.probed.size > 0;
  for (const [k, v] of Object.entries(node)) {
    if (checkKeys && !i.probed.has(k) && !kStrippedByGenerator(k)) out.push(`${path}/${k}: unknown field "${k}"`);
    else unknownFields(v, info, `${path}/${k}`, out);
  }
}

// A CRD's openAPIV3Schema as Ajv should see it: unknown fields rejected where Kubernetes would
// prune them (kubectl --validate=strict rejects them), Kubernetes' formats accepted.
function strictSchema(schema) {
  if (Array.isArray(schema)) return schema.map(strictSchema);
  if (schema === null || typeof schema !== "object") return schema;
  const out = {};
  for (const [k, v] of Object.entries(schema)) {
    if (k === "default" || k === "example" || k === "enum") out[k] = v;
    else if (k === "properties") out[k] = Object.fromEntries(Object.entries(v).map(([n, s]) => [n, strictSchema(s)]));
    else out[k] = strictSchema(v);
  }
  if (out.properties && out.additionalProperties === undefined && !out["x-kubernetes-preserve-unknown-fields"]) {
    out.additionalProperties = false;
  }
  return out;
}

function crdValidators(crdFiles) {
  const ajv = new Ajv({
    allErrors: true,
    strict: false,
    formats: { int32: true, int64: true, float: true, double: true, byte: true, "date-time": true, duration: true },
  });
  const map = new Map();
  for (const file of crdFiles) {
    for (const crd of loadDocs(file)) {
      if (crd.kind !== "CustomResourceDefinition") continue;
      for (const v of crd.spec.versions ?? []) {
        const schema = strictSchema(v.schema?.openAPIV3Schema ?? {});
        // Kubernetes itself checks apiVersion, kind and metadata; the schema need not name them.
        schema.properties = { apiVersion: { type: "string" }, kind: { type: "string" }, metadata: { type: "object" }, ...schema.properties };
        map.set(`${crd.spec.group}/${v.name}|${crd.spec.names.kind}`, ajv.compile(schema));
      }
    }
  }
  return map;
}

async function validate(args) {
  const crdFiles = [];
  const files = [];
  for (let i = 0; i < args.length; ++i) {
    if (args[i] === "--crd") crdFiles.push(args[++i]);
    else files.push(args[i]);
  }
  const custom = crdValidators(crdFiles);
  const report = [];
  let failed = false;
  for (const file of files) {
    loadDocs(file).forEach((doc, index) => {
      report.push({ file, index, apiVersion: doc.apiVersion, kind: doc.kind, name: doc.metadata?.name, doc });
    });
  }
  for (const entry of report) {
    const { doc } = entry;
    delete entry.doc;
    const errors = [];
    if (typeof doc !== "object" || !doc.apiVersion || !doc.kind) {
      errors.push("not a Kubernetes object (apiVersion and kind are required)");
    } else if (custom.has(`${doc.apiVersion}|${doc.kind}`)) {
      const check = custom.get(`${doc.apiVersion}|${doc.kind}`);
      if (!check(doc)) for (const e of check.errors) errors.push(`${e.instancePath || "/"}: ${e.message}${e.params?.additionalProperty ? ` "${e.params.additionalProperty}"` : ""}`);
      if (!doc.metadata?.name) errors.push("/metadata/name: is required");
    } else {
      const check = await builtinValidator(doc.apiVersion, doc.kind);
      if (!check) {
        errors.push(`no schema for ${doc.apiVersion} ${doc.kind}`);
      } else {
        const { proxy, info } = instrument(doc);
        if (!check(proxy)) for (const e of check.errors) errors.push(`${e.instancePath || "/"}: ${e.message ?? e.keyword} ${JSON.stringify(e.params)}`);
        unknownFields(doc, info, "", errors);
      }
    }
    entry.errors = errors;
    if (errors.length) failed = true;
  }
  process.stdout.write(JSON.stringify(report, null, 1) + "\n");
  return failed ? 1 : 0;
}

const [command, ...rest] = process.argv.slice(2);
try {
  if (command === "to-json") {
    process.stdout.write(JSON.stringify(rest.flatMap(loadDocs)) + "\n");
    process.exitCode = 0;
  } else if (command === "validate") {
    process.exitCode = await validate(rest);
  } else {
    process.stderr.write("usage: kbvalidate.mjs to-json FILE... | validate [--crd CRD]... FILE...\n");
    process.exitCode = 2;
  }
} catch (e) {
  process.stderr.write(`kbvalidate: ${e.message}\n`);
  process.exitCode = 2;
}
