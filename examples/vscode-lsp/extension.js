// Minimal VS Code client for `portal-lint lsp`: starts the server over stdio and hands it
// YAML and Markdown files; the server itself decides which of them it lints.
const vscode = require("vscode");
const { LanguageClient, TransportKind } = require("vscode-languageclient/node");

let client;

async function activate(context) {
  const settings = vscode.workspace.getConfiguration("portal-lint");
  const [command, ...args] = settings.get("command");
  client = new LanguageClient(
    "portal-lint",
    "portal-lint",
    { command, args, transport: TransportKind.stdio },
    {
      documentSelector: [
        { scheme: "file", language: "yaml" },
        { scheme: "file", pattern: "**/{AGENTS,AGENTS.override,SKILL}.md" },
      ],
      initializationOptions: { debounceMs: settings.get("debounceMs") },
    },
  );
  context.subscriptions.push(client);
  await client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
