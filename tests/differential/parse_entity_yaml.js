// Backstage's own catalog-file parser on a list of texts: reads a JSON array of strings on
// stdin, writes a JSON array with, per text, what parseEntityYaml
// (@backstage/plugin-catalog-node, the catalog's default entity data parser) yields:
// [{"entity": {...}} | {"error": "..."}, ...]. Run with NODE_PATH at the installed backend's
// node_modules (tests/differential/yaml_level.py does).
'use strict';

const { parseEntityYaml } = require('@backstage/plugin-catalog-node');

const LOCATION = { type: 'url', target: 'http://127.0.0.1:9/catalog-info.yaml' };

// JSON has no Infinity or NaN; spell them so the comparison can tell them apart from null.
const finite = (key, value) =>
  typeof value === 'number' && !Number.isFinite(value) ? { $number: String(value) } : value;

const firstLine = e => String((e && e.message) || e).split('\n')[0];

function outcome(text) {
  const results = [];
  try {
    for (const r of parseEntityYaml(Buffer.from(text, 'utf8'), LOCATION)) {
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
    // toJSON() throws out of the generator (alias bombs): the catalog fails the rest of the file.
    results.push({ error: `parser threw: ${firstLine(e)}`, aborted: true });
  }
  return results;
}

const chunks = [];
process.stdin.on('data', chunk => chunks.push(chunk));
process.stdin.on('end', () => {
  const texts = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  process.stdout.write(JSON.stringify(texts.map(outcome)));
});
