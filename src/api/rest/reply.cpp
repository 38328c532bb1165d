#include "api/rest/reply.h"

#include "gojson/encode.h"

namespace mr::api::rest {
namespace jsend {
namespace {

std::string envelope(std::string_view status, const Json& data, std::string_view message) {
  std::string out = R"({"status":)";
  gojson::append_string(out, status);
  out += R"(,"data":)";
  out += gojson::dump(data);
  if (!message.empty()) {
    out += R"(,"message":)";
    gojson::append_string(out, message);
  }
  out += "}\n";
  return out;
}

}  // namespace

Reply success(const Json& data) {
  return Reply{200, std::string(kJsonContentType), envelope("success", data, ""), {}, false};
}

Reply error(int status, std::string_view message) {
  return Reply{status,
               std::string(kErrorContentType),
               envelope("error", nullptr, message),
               {{"X-Content-Type-Options", "nosniff"}},
               false};
}

Reply fail(int status, const Json& data, std::string_view message) {
  return Reply{status, std::string(kJsonContentType), envelope("fail", data, message), {}, false};
}

}  // namespace jsend

namespace {

// html_escape is Go's net/http htmlEscape (strings.NewReplacer of & < > " ').
std::string html_escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&#34;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

}  // namespace

Reply redirect(std::string_view method, std::string_view location) {
  Reply r;
  r.status = 301;
  r.headers.emplace_back("Location", std::string(location));
  if (method == "GET" || method == "HEAD") r.content_type = "text/html; charset=utf-8";
  if (method == "GET")
    r.body = "<a href=\"" + html_escape(location) + "\">Moved Permanently</a>.\n\n";
  return r;
}

}  // namespace mr::api::rest
