// An independent eddsa-jcs-2022 implementation in plain Node.js (no
// packages), to cross-check Stele's: JCS is JSON.stringify with members
// sorted by UTF-16 code units (the default sort), which is how RFC 8785
// defines it; Ed25519 and SHA-256 come from node:crypto.
//
//   node eddsa-jcs-2022.mjs verify < secured.json       exit 0 = verified
//   node eddsa-jcs-2022.mjs sign < unsigned.json        prints a secured document
//                                                       signed by a fresh did:key
import { createHash, generateKeyPairSync, createPublicKey, sign, verify } from "node:crypto";
import { readFileSync } from "node:fs";

const B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

function b58decode(s) {
  let n = 0n;
  for (const c of s) {
    const d = B58.indexOf(c);
    if (d < 0) throw new Error("bad base58");
    n = n * 58n + BigInt(d);
  }
  const bytes = [];
  while (n > 0n) { bytes.unshift(Number(n & 0xffn)); n >>= 8n; }
  for (const c of s) { if (c !== "1") break; bytes.unshift(0); }
  return Buffer.from(bytes);
}

function b58encode(buf) {
  let n = BigInt("0x" + (buf.toString("hex") || "0"));
  let s = "";
  while (n > 0n) { s = B58[Number(n % 58n)] + s; n /= 58n; }
  for (const b of buf) { if (b !== 0) break; s = "1" + s; }
  return s;
}

function jcs(v) {
  if (Array.isArray(v)) return "[" + v.map(jcs).join(",") + "]";
  if (v !== null && typeof v === "object") {
    return "{" + Object.keys(v).sort().map((k) => JSON.stringify(k) + ":" + jcs(v[k])).join(",") + "}";
  }
  return JSON.stringify(v);
}

const sha256 = (s) => createHash("sha256").update(s, "utf8").digest();
const SPKI_ED25519 = Buffer.from("302a300506032b6570032100", "hex");

function didKeyToPublicKey(vm) {
  const did = vm.split("#")[0];
  const raw = b58decode(did.slice("did:key:z".length));
  if (raw[0] !== 0xed || raw[1] !== 0x01 || raw.length !== 34) throw new Error("not an Ed25519 did:key");
  return createPublicKey({ key: Buffer.concat([SPKI_ED25519, raw.subarray(2)]), format: "der", type: "spki" });
}

function hashData(unsecured, options) {
  const config = { ...options };
  if (unsecured["@context"] !== undefined) config["@context"] = unsecured["@context"];
  return Buffer.concat([sha256(jcs(config)), sha256(jcs(unsecured))]);
}

const input = JSON.parse(readFileSync(0, "utf8"));
if (process.argv[2] === "verify") {
  const { proof, ...unsecured } = input;
  const { proofValue, ...options } = proof;
  if (options.type !== "DataIntegrityProof" || options.cryptosuite !== "eddsa-jcs-2022") process.exit(1);
  if (options["@context"] !== undefined) {
    const doc = [].concat(input["@context"]);
    const pre = [].concat(options["@context"]);
    if (!pre.every((c, i) => doc[i] === c)) process.exit(1);
    unsecured["@context"] = options["@context"];
  }
  const ok = verify(null, hashData(unsecured, options), didKeyToPublicKey(options.verificationMethod), b58decode(proofValue.slice(1)));
  process.exit(ok ? 0 : 1);
} else if (process.argv[2] === "sign") {
  const { publicKey, privateKey } = generateKeyPairSync("ed25519");
  const raw = publicKey.export({ format: "der", type: "spki" }).subarray(SPKI_ED25519.length);
  const did = "did:key:z" + b58encode(Buffer.concat([Buffer.from([0xed, 0x01]), raw]));
  const issued = { ...input, issuer: did };
  const options = {
    type: "DataIntegrityProof",
    cryptosuite: "eddsa-jcs-2022",
    created: new Date().toISOString().replace(/\.\d{3}Z$/, "Z"),
    verificationMethod: did + "#" + did.slice("did:key:".length),
    proofPurpose: "assertionMethod",
  };
  if (issued["@context"] !== undefined) options["@context"] = issued["@context"];
  const signature = sign(null, hashData(issued, options), privateKey);
  process.stdout.write(JSON.stringify({ ...issued, proof: { ...options, proofValue: "z" + b58encode(signature) } }));
} else {
  process.exit(64);
}
