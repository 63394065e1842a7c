// Verify a Sigstore bundle with sigstore-js (@sigstore/verify) against one public key:
// no transparency log, no certificate, no timestamp (all thresholds 0), the way a
// key-only verifier reads a bundle exported by `rebuildable export --to sigstore-bundle`.
// Usage: node sigstore_verify.js BUNDLE.json KEY.pem   (exit 0 verified, 1 not)
"use strict";
const fs = require("fs");
const crypto = require("crypto");
const { bundleFromJSON } = require("@sigstore/bundle");
const { toSignedEntity, toTrustMaterial, Verifier } = require("@sigstore/verify");

const [bundlePath, keyPath] = process.argv.slice(2);
const bundle = bundleFromJSON(JSON.parse(fs.readFileSync(bundlePath, "utf8")));
const publicKey = crypto.createPublicKey(fs.readFileSync(keyPath));
const root = { mediaType: "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
               tlogs: [], certificateAuthorities: [], ctlogs: [], timestampAuthorities: [] };
const seen = [];
const trust = toTrustMaterial(root, (hint) => {
  seen.push(hint);
  return { publicKey, validFor: () => true };
});
const verifier = new Verifier(trust, { tlogThreshold: 0, ctlogThreshold: 0, tsaThreshold: 0,
                                       timestampThreshold: 0 });
try {
  verifier.verify(toSignedEntity(bundle));
  process.stdout.write(JSON.stringify({ verified: true, hints: seen }) + "\n");
} catch (err) {
  process.stdout.write(JSON.stringify({ verified: false, hints: seen, error: String(err) }) + "\n");
  process.exit(1);
}
