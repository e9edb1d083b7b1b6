// One MongoDB user per Alumnet service, allowed to read and write only its own database.
//
// Run once by the mongo image on the first boot of an empty data volume (initdb, as root),
// before the replica set exists. Passwords come from /run/secrets/mongo-users.json, which
// `alumnet keys generate` writes ({"members": "...", ...}); each service's MONGO_URL in
// deploy/secrets/<service>.env names its user, with authSource=admin. The database name is
// MONGO_DB_PREFIX (alumnet_) + service, as in docker-compose.yml.
const fs = require("fs");

const passwords = JSON.parse(fs.readFileSync("/run/secrets/mongo-users.json", "utf8"));
const admin = db.getSiblingDB("admin");
for (const [service, pwd] of Object.entries(passwords)) {
  admin.createUser({ user: service, pwd: pwd, roles: [{ role: "readWrite", db: "alumnet_" + service }] });
}
