#!/usr/bin/env python3
"""Writes cases.json for the ConnectorClass examples: one case per (class file, configuration,
data key, sample data set), named FILE/CLASS/CONFIG/KEY@DATASET. The sample data follows the
layout the CSI driver passes to templates (src/render/template.rs)."""
import glob
import json
import os
import sys

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
CA = "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUQ2Fub25pY2FsIHRlc3QgQ0E=\n-----END CERTIFICATE-----\n"


def connector(ns, name, address, proxy, params=None):
    c = {
        "apiVersion": "connectors.alauda.io/v1alpha1",
        "kind": "Connector",
        "metadata": {"name": name, "namespace": ns, "uid": "0b5e8a8e-1111-2222-3333-444455556666"},
        "spec": {"connectorClassName": "demo", "address": address,
                 "auth": {"name": "basicAuth", "secretRef": {"name": name + "-secret"}}},
        "status": {"conditions": [{"type": "Ready", "status": "True"}],
                   "proxy": {"httpAddress": {"url": proxy}}, "proxyAddress": proxy},
    }
    if params is not None:
        c["spec"]["params"] = params
    return c


def datasets():
    main = connector("team-a", "registry", "https://nexus.example.com/repository/npm-public/",
                     "http://c-registry.team-a.svc.cluster.local", [{"name": "sslVerify", "value": "false"}])
    other = connector("team-b", "mirror", "https://mirror.example.org", "https://c-mirror.team-b.svc:8443")
    typical = {
        "connector": main,
        "connectors": [main, other],
        "connectorclass": {"metadata": {"name": "demo"},
                           "proxyAddress": "http://connectors-proxy-service.connectors-system.svc.cluster.local:8080"},
        "context": {"token": "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzYSJ9.c2ln", "proxy": {"caCert": CA}},
        "configurations": {"mirrorRepository": "maven-public", "registry": "npm-proxy", "strictSSL": "true",
                           "repository": "pypi-proxy", "strict-ssl": "False"},
    }
    lone = connector("default", "plain", "https://git.example.com", "https://c-plain.default.svc:8443")
    minimal = {
        "connector": lone,
        "connectors": [lone],
        "connectorclass": {"metadata": {"name": "demo"}, "proxyAddress": "https://proxy.example.com"},
        "context": {"token": "t0k3n", "proxy": {"caCert": ""}},
        "configurations": {},
    }
    return {"typical": typical, "minimal": minimal}


def main(out):
    cases = []
    data = datasets()
    for path in sorted(glob.glob(os.path.join(HERE, "*.yaml"))):
        file = os.path.basename(path)
        with open(path, encoding="utf-8") as f:
            for doc in yaml.safe_load_all(f):
                if not doc:
                    continue
                cls = doc["metadata"]["name"]
                for conf in doc["spec"].get("configurations", []):
                    for key, tmpl in conf.get("data", {}).items():
                        for ds, d in data.items():
                            cases.append({"name": f"{file}/{cls}/{conf['name']}/{key}@{ds}",
                                          "template": tmpl, "data": d})
    with open(out, "w", encoding="utf-8") as f:
        json.dump(cases, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print(f"{len(cases)} class cases -> {out}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "cases.json"))
