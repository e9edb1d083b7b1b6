// Idempotent health check that also initiates the single-node replica set rs0.
//
// Run by the compose healthcheck with mongosh (as root) every few seconds: the first run after a
// fresh volume initiates rs0, every run exits 0 only once this node is a writable primary,
// so services that depend on mongo being healthy start with transactions available.
// MONGO_RS_HOST is the address clients use to reach this node (its compose service name).
const host = process.env.MONGO_RS_HOST || "mongo:27017";

try {
  rs.status();
} catch (e) {
  if (e.codeName !== "NotYetInitialized") {
    throw e;
  }
  rs.initiate({ _id: "rs0", members: [{ _id: 0, host: host }] });
}

quit(db.hello().isWritablePrimary ? 0 : 1);
