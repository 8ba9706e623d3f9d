// make k8s-schema-check: validate a manifest, given as JSON on stdin (the
// Makefile converts the YAML with python3-yaml), against the schemas of
// kubernetes-models, made from the Kubernetes API's OpenAPI definitions:
// what kubeconform does, without a cluster or a download of schemas.
import fs from 'fs';
import { DaemonSet } from 'kubernetes-models/apps/v1';

const kinds = { 'apps/v1 DaemonSet': DaemonSet };
const doc = JSON.parse(fs.readFileSync(0, 'utf8'));
const Model = kinds[`${doc.apiVersion} ${doc.kind}`];

if (!Model) {
	console.error(`no schema for ${doc.apiVersion} ${doc.kind}`);
	process.exit(1);
}
try {
	new Model(doc).validate();
	console.log(`${process.argv[2]}: valid ${doc.apiVersion} ${doc.kind}`);
} catch (e) {
	console.error(`${process.argv[2]}: ${e.message}`);
	process.exit(1);
}
