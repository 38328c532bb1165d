#pragma once
// environment_map turns a process environment block (main's envp or ::environ) into a map.
// Only composition roots (app/) read the environment; they pass the map to config parsers.

#include <map>
#include <string>

namespace mr {

// environment_map parses "NAME=value" entries of the null-terminated |envp| (null: empty map);
// entries without '=' are skipped, and for repeated names the first one wins (as getenv).
[[nodiscard]] std::map<std::string, std::string> environment_map(char** envp);

}  // namespace mr
