"""Connector-shaped data and ConnectorClass-style templates that use only Go built-ins.

The data layout is the one the CSI driver passes (src/render/template.rs): connector (with
status.proxyAddress), connectors, connectorclass (with proxyAddress), context.token,
context.proxy.caCert and configurations (the configuration's parameters).
"""

def connector(name, ns, address, proxy, params=None, auth_params=None):
    c = {
        "apiVersion": "connectors.alauda.io/v1alpha1",
        "kind": "Connector",
        "metadata": {"name": name, "namespace": ns, "annotations": {"cpaas.io/description": "demo"}},
        "spec": {"connectorClassName": "git", "address": address,
                 "auth": {"name": "basicAuth", "secretRef": {"name": name + "-secret"}}},
        "status": {"conditions": [{"type": "Ready", "status": "True"}],
                   "proxy": {"httpAddress": {"url": proxy}}, "proxyAddress": proxy},
    }
    if params is not None:
        c["spec"]["params"] = params
    if auth_params is not None:
        c["spec"]["auth"]["params"] = auth_params
    return c


C1 = connector("github-demo", "default", "https://github.com",
               "http://c-github-demo.default.svc.cluster.local",
               params=[{"name": "sslVerify", "value": "false"}],
               auth_params=[{"name": "repository", "value": "org/repo.git"}])
C2 = connector("gitlab", "team-a", "https://gitlab.example.com/", "http://c-gitlab.team-a.svc:8080")
DATA = {
    "connector": C1,
    "connectors": [C1, C2],
    "connectorclass": {"metadata": {"name": "git"}, "proxyAddress": "http://proxy.example.com"},
    "context": {"token": "eyJhbGciOiJSUzI1NiJ9.tok", "proxy": {"caCert": "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"}},
    "configurations": {"mirrorRepository": "maven-public", "strictSSL": "true", "registry": "npm-proxy"},
}
NO_PARAMS = dict(DATA, connector=connector("plain", "default", "https://git.example.com",
                                           "http://c-plain.default.svc"), configurations={})

SSL_VERIFY = ("{{ $sslVerify := \"true\" -}}\n"
              "{{- range .connector.spec.params }}{{- if eq .name \"sslVerify\" }}{{$sslVerify = .value }}{{ end }}{{- end }}\n"
              "[http]\n  sslVerify = {{ $sslVerify }}\n")
MULTI = ("{{- range .connectors }}\n# Configuration for Connector: {{ .metadata.name }}\n"
         "param_name = {{ .metadata.name }}\nparam_value = {{ .spec.address }}\n{{- end }}\n")
MULTI_NAME = ("{{- range .connectors }}\n# Configuration for Connector: {{ .name }}\n"
              "param_name = {{ .name }}\nparam_value = {{ .spec.address }}\n{{- end }}\n")
SETTINGS_JSON = ("{\"connectors\": [\n{{- range .connectors }}\n  {\"name\": \"{{ .metadata.name }}\", "
                 "\"address\": \"{{ .spec.address }}\"},\n{{- end }}\n]}\n")
GITCONFIG_URLS = ("[http]\n    extraHeader = Authorization: Bearer {{ .context.token }}\n"
                  "{{- range .connectors }}\n[url \"{{ .status.proxyAddress }}\"]\n    insteadOf = {{.spec.address}}\n{{- end }}\n")
AUTH_PATH = ("/{{- range .connector.spec.auth.params }}{{- if eq .name \"repository\" }}{{ .value }}{{ end }}{{- end }}"
             "/info/refs?service=git-upload-pack")
ENV_FILE = ("{{- $u := printf \"%s/%s\" .connector.metadata.namespace .connector.metadata.name | urlquery -}}\n"
            "http_proxy={{ .connector.status.proxyAddress }}\nuser={{ $u }}\n"
            "no_proxy={{ or .configurations.noProxy \"localhost\" }}\n")
MAVEN = ("<settings>\n  <mirrors>\n    <mirror>\n      <id>{{ .configurations.mirrorRepository }}</id>\n"
         "      <url>{{ .connector.status.proxyAddress }}/repository/{{ .configurations.mirrorRepository }}</url>\n"
         "    </mirror>\n  </mirrors>\n{{- if eq .configurations.strictSSL \"false\" }}\n  <insecure/>\n{{- end }}\n</settings>\n")
NPMRC = ("registry={{ .connector.status.proxyAddress }}/{{ .configurations.registry }}/\n"
         "strict-ssl={{ with .configurations.strictSSL }}{{ . }}{{ else }}true{{ end }}\n"
         "{{- if .context.proxy.caCert }}\ncafile=/opt/ca.cert{{ end }}\n")
KUBECONFIG = ("apiVersion: v1\nkind: Config\nclusters:\n- name: {{ .connector.metadata.name }}\n  cluster:\n"
              "    server: {{ .connector.status.proxyAddress }}\n"
              "{{- with .context.proxy.caCert }}\n    certificate-authority-data: {{ printf \"%q\" . }}{{ end }}\n"
              "users:\n- name: u\n  user:\n    token: {{ .context.token }}\ncurrent-context: {{ .connector.metadata.name }}\n")
DOCKER = ("{\"auths\": {\n{{- range $i, $c := .connectors }}{{ if $i }},{{ end }}\n"
          "  {{ printf \"%q\" $c.status.proxyAddress }}: {\"auth\": {{ printf \"%q\" $.context.token }}}\n{{- end }}\n}}\n")
CA = "{{ .context.proxy.caCert }}"
CLASS_PROXY = "{{ .connectorclass.proxyAddress }}/namespaces/{{ .connector.metadata.namespace }}/connectors/{{ .connector.metadata.name }}"
ANNOT = "{{ index .connector.metadata.annotations \"cpaas.io/description\" }}|{{ index .connector.metadata.annotations \"missing/key\" }}"
CONDITIONS = "{{ range .connector.status.conditions }}{{ if eq .type \"Ready\" }}{{ .status }}{{ end }}{{ end }}"

CASES = []
for name, tmpl in [("gitconfig_sslverify", SSL_VERIFY), ("multi_connector_metadata", MULTI),
                   ("multi_connector_name_missing", MULTI_NAME), ("settings_json", SETTINGS_JSON),
                   ("gitconfig_urls", GITCONFIG_URLS), ("auth_probe_path", AUTH_PATH), ("env_file", ENV_FILE),
                   ("maven_settings", MAVEN), ("npmrc", NPMRC), ("kubeconfig", KUBECONFIG),
                   ("docker_config", DOCKER), ("ca_cert", CA), ("class_proxy_path", CLASS_PROXY),
                   ("annotations_index", ANNOT), ("ready_condition", CONDITIONS)]:
    CASES.append((name, tmpl, DATA))
    CASES.append((name + "_no_params", tmpl, NO_PARAMS))

CASES += [
    ("token_direct", "{{.context.token}}", DATA),
    ("token_quoted", "{{ printf \"%q\" .context.token }}", DATA),
    ("address_field", "{{ .connector.spec.address }}", DATA),
    ("configuration_param", "{{ .configurations.mirrorRepository }}", DATA),
    ("configuration_param_missing", "{{ .configurations.nope }}", DATA),
    ("configuration_param_missing_or", "{{ or .configurations.nope \"fallback\" }}", DATA),
    ("connector_missing_status_field", "{{ .connector.status.nothing.url }}", DATA),
    ("connectors_index", "{{ (index .connectors 1).metadata.name }}", DATA),
    ("connectors_len", "{{ len .connectors }}", DATA),
    ("connectors_out_of_range", "{{ (index .connectors 5).metadata.name }}", DATA),
    ("connector_spec_whole", "{{ .connector.spec }}", DATA),
    ("connectorclass_name", "{{ .connectorclass.metadata.name }}", DATA),
    ("context_whole", "{{ .context.proxy }}", DATA),
    ("multiline_yaml_block",
     "data:\n  token: {{ .context.token }}\n  {{- if .configurations.registry }}\n  registry: {{ .configurations.registry }}\n  {{- end }}\n",
     DATA),
    ("error_in_real_template", "server: {{ .connector.spec.address.host }}", DATA),
    ("parse_error_in_real_template", "server: {{ .connector.spec.address }\n", DATA),
    ("bad_function_in_real_template", "{{ b64enc .context.token }}", DATA),
]
