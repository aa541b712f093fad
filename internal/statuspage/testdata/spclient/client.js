// Reads every public document of a status page with the statuspage.io
// client (npm, 3.1.1) and prints what it got as one JSON object.
//
//   node client.js http://127.0.0.1:PORT/status/SLUG
//
// In 3.1.1 the client's scheduledMaintenances.getAll and getActive both
// request upcoming.json, and its endpoint table names upcoming.json for
// active too, so those two documents are read with the client's own HTTP
// client (axios, as configured by setApiUrl) at their documented paths.
'use strict';
const {Statuspage} = require('statuspage.io');
const {Endpoint} = require('statuspage.io/dist/Endpoints');

async function main() {
  const base = process.argv[2];
  const sp = new Statuspage('tocsin'); // any page id: the URL below replaces it
  sp.setApiUrl(base);
  const get = async path => (await sp.apiClient.get(path)).data;
  const out = {
    summary: await sp.api.getSummary(),
    status: await sp.api.getStatus(),
    components: await sp.api.getComponents(),
    incidents: await sp.api.incidents.getAll(),
    unresolved: await sp.api.incidents.getUnresolved(),
    upcoming: await sp.api.scheduledMaintenances.getUpcoming(),
    maintenances: await get(Endpoint.ScheduledMaintenances.all()),
    active: await get(Endpoint.ScheduledMaintenances.active().replace('upcoming.json', 'active.json')),
  };
  process.stdout.write(JSON.stringify(out));
}

main().catch(err => {
  console.error(err && err.stack ? err.stack : String(err));
  process.exit(1);
});
