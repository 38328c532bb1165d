#pragma once
// URL helpers with Go's net/http and net/url semantics (the ServeMux redirects of spec 3.2,
// query parsing).
//
//   clean_path("/a//b/../c/") == "/a/c/"
//   escape_path("/a b") == "/a%20b"

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mr::api::rest {

// clean_path is Go's http cleanPath: path.Clean of the rooted path ("//x" -> "/x",
// "/a/../b" -> "/b", "" -> "/"), keeping one trailing slash if the input had one.
[[nodiscard]] std::string clean_path(std::string_view path);

// escape_path is Go's url.URL.EscapedPath for a URL without RawPath: every byte except
// letters, digits, - _ . ~ $ & + , / : ; = @ is percent-encoded (upper-case hex).
[[nodiscard]] std::string escape_path(std::string_view path);

// parse_query is Go's url.ParseQuery as r.URL.Query() uses it: pairs split on '&', each at
// its first '=', '+' and %XX unescaped; pairs with a ';' or a bad escape are dropped.
[[nodiscard]] std::vector<std::pair<std::string, std::string>> parse_query(std::string_view raw);

}  // namespace mr::api::rest
