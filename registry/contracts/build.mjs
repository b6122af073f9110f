// Compiles the contracts with the pinned solc (npm `solc`, see ../package.json)
// and writes one artifact per contract to ../artifacts/<Name>.json with its
// ABI and bytecode. `node contracts/build.mjs --check` recompiles and fails if
// the committed artifacts differ, so what the Rust code embeds is exactly what
// these sources compile to.
import { readFileSync, writeFileSync, readdirSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const solc = require("solc");

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, "..", "artifacts");
const check = process.argv.includes("--check");

const sources = {};
for (const f of readdirSync(here).filter((f) => f.endsWith(".sol")).sort()) {
  sources[f] = { content: readFileSync(join(here, f), "utf8") };
}
const input = {
  language: "Solidity",
  sources,
  settings: {
    optimizer: { enabled: true, runs: 200 },
    evmVersion: "cancun",
    // No metadata hash in the bytecode: the artifacts depend on the sources only.
    metadata: { bytecodeHash: "none" },
    outputSelection: { "*": { "*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object"] } },
  },
};
const output = JSON.parse(solc.compile(JSON.stringify(input)));
const errors = (output.errors || []).filter((e) => e.severity === "error");
for (const e of output.errors || []) console.error(e.formattedMessage);
if (errors.length) process.exit(1);

mkdirSync(out, { recursive: true });
let differ = 0;
for (const [file, contracts] of Object.entries(output.contracts)) {
  for (const [name, c] of Object.entries(contracts)) {
    const artifact = JSON.stringify(
      {
        contractName: name,
        sourceName: file,
        compiler: `solc ${solc.version()}`,
        abi: c.abi,
        bytecode: "0x" + c.evm.bytecode.object,
        deployedBytecode: "0x" + c.evm.deployedBytecode.object,
      },
      null,
      2,
    ) + "\n";
    const path = join(out, `${name}.json`);
    if (check) {
      let committed = "";
      try { committed = readFileSync(path, "utf8"); } catch { /* missing */ }
      if (committed !== artifact) {
        console.error(`artifacts/${name}.json differs from what contracts/${file} compiles to`);
        differ++;
      }
    } else {
      writeFileSync(path, artifact);
      console.log(`artifacts/${name}.json  (${(c.evm.deployedBytecode.object.length / 2)} bytes deployed)`);
    }
  }
}
if (differ) process.exit(1);
if (check) console.log("artifacts match the sources");
