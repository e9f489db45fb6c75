// SPDX-License-Identifier: MIT
// Validates Kubernetes manifests against the API schemas that the npm
// packages kubernetes-models and @kubernetes-models/prometheus-operator
// carry, offline.  Usage: node validate.mjs FILE.yaml...
import fs from 'fs';
import * as yaml from 'js-yaml';
import { DaemonSet } from 'kubernetes-models/apps/v1/DaemonSet';
import { Service } from 'kubernetes-models/v1/Service';
import { PodMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PodMonitor';
import { ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor';
const kinds = { DaemonSet, Service, PodMonitor, ServiceMonitor };
let pass = 0, fail = 0;
for (const f of process.argv.slice(2)) {
  for (const doc of yaml.loadAll(fs.readFileSync(f, 'utf8'))) {
    if (!doc) continue;
    const K = kinds[doc.kind];
    try {
      if (!K) throw new Error(`no schema for kind ${doc.kind}`);
      new K(doc).validate();
      pass++;
      console.log(`${f}: ${doc.kind} ${doc.metadata.name}: valid`);
    } catch (e) {
      fail++;
      console.log(`FAIL: ${f}: ${doc.kind}: ${e.message}`);
    }
  }
}
console.log(`kubernetes: ${pass} passed, ${fail} failed`);
process.exit(fail ? 1 : 0);
