// The differential's one oracle: Backstage's own packages, from the installed backend, judging
// catalog files the way the catalog ingests them. Reads a JSON request on stdin, writes JSON.
//
//   {"mode": "parse", "texts": [...]}
//     → per text, what parseEntityYaml (@backstage/plugin-catalog-node: the `yaml` package,
//       parseAllDocuments, merge off) yields: [{"entity": {...}} | {"error": "..."}, ...]
//   {"mode": "judge", "url": "http://127.0.0.1:…", "cases": [{"main": "catalog-info.yaml", "files": {...}}]}
//     → per case {"valid": bool, "message": first rejection or null}, the catalog's path for a
//       registered file: parseEntityYaml; the envelope and annotation checks of the processing
//       output collector (falsy annotations become {}, others must be an object) and its
//       location annotations; the entity stored as JSON; the PlaceholderProcessor with the
//       stock $text/$json/$yaml resolvers, reading the case's own files only; then
//       POST /api/catalog/validate-entity on the running backend (policies, kind schemas,
//       relations, Location reading); then the stitcher's search rows (keys that vary only in
//       casing). Env BACKSTAGE_TOKEN: the backend's static token.
//
// Run with NODE_PATH at the installed backend's node_modules (tests/differential does).
'use strict';

const path = require('path');
const { parseEntityYaml } = require('@backstage/plugin-catalog-node');
const { entityEnvelopeSchemaValidator, ANNOTATION_LOCATION, ANNOTATION_ORIGIN_LOCATION } = require(
  '@backstage/catalog-model',
);
const { ScmIntegrations } = require('@backstage/integration');
const { ConfigReader } = require('@backstage/config');

const backendDist = path.dirname(require.resolve('@backstage/plugin-catalog-backend'));
const placeholders = require(path.join(backendDist, 'processors', 'PlaceholderProcessor.cjs.js'));
const { buildEntitySearch } = require(
  path.join(backendDist, 'database', 'operations', 'stitcher', 'buildEntitySearch.cjs.js'),
);

// Every case lives at this loopback URL, which no reader of the test backend may fetch.
const BASE = 'http://127.0.0.1:9/acme/payments/blob/main/';

// JSON has no Infinity or NaN; spell them so the comparison can tell them apart from null.
const finite = (key, value) =>
  typeof value === 'number' && !Number.isFinite(value) ? { $number: String(value) } : value;

const firstLine = e => String((e && e.message) || e).split('\n')[0];

function parse(text) {
  const results = [];
  try {
    for (const r of parseEntityYaml(Buffer.from(text, 'utf8'), { type: 'url', target: `${BASE}catalog-info.yaml` })) {
      if (r.type !== 'entity') {
        results.push({ error: firstLine(r.error) });
        continue;
      }
      try {
        // An entity that cannot become JSON (an alias inside its own node makes a cycle)
        // fails later in the catalog, when it is stored: an error all the same.
        results.push({ entity: JSON.parse(JSON.stringify(r.entity, finite)) });
      } catch (e) {
        results.push({ error: `entity cannot be stored: ${firstLine(e)}` });
      }
    }
  } catch (e) {
    // toJSON() throws out of the generator (alias limits): the catalog reads nothing more.
    results.push({ error: `parser threw: ${firstLine(e)}`, aborted: true });
  }
  return results;
}

const envelope = entityEnvelopeSchemaValidator();
const integrations = ScmIntegrations.fromConfig(new ConfigReader({}));

function reader(files) {
  return {
    async readUrl(url) {
      const rel = url.startsWith(BASE) ? decodeURIComponent(url.slice(BASE.length)) : null;
      if (rel === null || !(rel in files)) {
        const error = new Error(`${url} not found`);
        error.name = 'NotFoundError';
        throw error;
      }
      return { buffer: async () => Buffer.from(files[rel], 'utf8') };
    },
  };
}

const hasPlaceholder = value =>
  value !== null &&
  typeof value === 'object' &&
  (Array.isArray(value) ? value.some(hasPlaceholder) : Object.entries(value).some(([k, v]) => k.startsWith('$') || hasPlaceholder(v)));

async function judgeEntity(raw, location, files, url, token) {
  // ProcessorOutputCollector.receive: envelope, annotations, location annotations.
  let entity;
  try {
    entity = envelope(raw);
  } catch (e) {
    return `envelope: ${firstLine(e)}`;
  }
  const annotations = entity.metadata.annotations || {};
  if (typeof annotations !== 'object' || Array.isArray(annotations)) {
    return 'metadata.annotations must be a valid object';
  }
  const where = `url:${location.target}`;
  entity = {
    ...entity,
    metadata: {
      ...entity.metadata,
      annotations: { ...annotations, [ANNOTATION_ORIGIN_LOCATION]: where, [ANNOTATION_LOCATION]: where },
    },
  };
  entity = JSON.parse(JSON.stringify(entity)); // deferred entities are stored as JSON
  if (hasPlaceholder(entity)) {
    const processor = new placeholders.PlaceholderProcessor({
      resolvers: {
        json: placeholders.jsonPlaceholderResolver,
        yaml: placeholders.yamlPlaceholderResolver,
        text: placeholders.textPlaceholderResolver,
      },
      reader: reader(files),
      integrations,
    });
    try {
      entity = await processor.preProcessEntity(entity, location, () => {});
    } catch (e) {
      return `placeholder: ${firstLine(e)}`;
    }
  }
  const response = await fetch(`${url}/api/catalog/validate-entity`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ entity, location: where }),
  });
  if (response.status === 400) {
    const body = await response.json();
    return firstLine(((body.errors || [])[0] || {}).message || 'invalid');
  }
  if (response.status !== 200) {
    throw new Error(`validate-entity answered ${response.status}: ${(await response.text()).slice(0, 200)}`);
  }
  try {
    buildEntitySearch('judge', entity);
  } catch (e) {
    return `stitch: ${firstLine(e)}`;
  }
  return null;
}

async function judge(kase, url, token) {
  const location = { type: 'url', target: `${BASE}${kase.main}` };
  let results;
  try {
    results = [...parseEntityYaml(Buffer.from(kase.files[kase.main], 'utf8'), location)];
  } catch (e) {
    return { valid: false, message: `parser threw: ${firstLine(e)}` };
  }
  for (const r of results) {
    const message =
      r.type === 'entity' ? await judgeEntity(r.entity, location, kase.files, url, token) : firstLine(r.error);
    if (message !== null) {
      return { valid: false, message };
    }
  }
  return { valid: true, message: null };
}

async function main(request) {
  if (request.mode === 'parse') {
    return request.texts.map(parse);
  }
  const token = process.env.BACKSTAGE_TOKEN || '';
  const url = request.url.replace(/\/$/, '');
  // A few requests in flight: each case is independent, and the backend answers in parallel.
  const out = new Array(request.cases.length);
  let next = 0;
  const worker = async () => {
    while (next < request.cases.length) {
      const i = next++;
      out[i] = await judge(request.cases[i], url, token);
    }
  };
  await Promise.all(Array.from({ length: 6 }, worker));
  return out;
}

const chunks = [];
process.stdin.on('data', chunk => chunks.push(chunk));
process.stdin.on('end', () => {
  main(JSON.parse(Buffer.concat(chunks).toString('utf8'))).then(
    out => process.stdout.write(JSON.stringify(out)),
    e => {
      process.stderr.write(`judge: ${e && e.stack ? e.stack : e}\n`);
      process.exit(1);
    },
  );
});
