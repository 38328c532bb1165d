#pragma once
// Manifests in YAML, converted to JSON the way upstream's CLI does before it uploads or hashes
// them (spec 5.1: sigs.k8s.io/yaml.YAMLToJSONStrict on gopkg.in/yaml.v2): the Coordinator only
// ever sees JSON, so `manifest signature` of a YAML file is the SHA-256 of the converted bytes.
//
//   MR_ASSIGN_OR_RETURN(std::string json, load_manifest_file("manifest.yaml"));
//   client.set_manifest(json);   // the same bytes `manifest signature` hashes

#include <string>
#include <string_view>

#include "base/result.h"

namespace mr::cli {

// yaml_to_json converts one YAML document to compact JSON as YAMLToJSONStrict does: plain
// scalars resolved with YAML 1.1 rules (null, true/yes/on, false/no/off, Go integers with 0x,
// 0o, 0b and leading-0 octal, floats; everything else a string; quoted scalars are strings),
// object keys sorted, strings escaped as Go's json.Marshal does (gojson::dump). Merge keys
// (<<) and aliases are expanded. kInvalidArgument "invalid YAML: ..." for syntax errors (with
// line and column), duplicate keys, keys that are not scalars or are null, NaN or infinite
// numbers (which JSON cannot carry), unsupported tags, more than one document, nesting deeper
// than 200, or aliases expanding to more than a million values. The input is never echoed.
[[nodiscard]] Result<std::string> yaml_to_json(std::string_view yaml);

// load_manifest_file returns the manifest in |path| as the Coordinator will hold it: the file's
// bytes unchanged if they are valid JSON, else yaml_to_json of them (upstream's
// loadManifestFile). kNotFound if the file cannot be read, kInvalidArgument (naming the file)
// if it is larger than 16 MiB, neither JSON nor YAML, or not a mapping at the top level.
[[nodiscard]] Result<std::string> load_manifest_file(const std::string& path);

}  // namespace mr::cli
