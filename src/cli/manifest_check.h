#pragma once
// `marblerun manifest check FILE...`: offline manifest validation.

#include <iosfwd>
#include <string>
#include <vector>

namespace mr::cli {

// run_manifest_check validates each file and writes "OK: <file>" or one line per problem
// ("<file>: <problem>", warnings as "<file>: warning: <text>") to |out|. Returns the exit code:
// 0 when every file is valid, 1 otherwise.
[[nodiscard]] int run_manifest_check(const std::vector<std::string>& files, std::ostream& out);

}  // namespace mr::cli
