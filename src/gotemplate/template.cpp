#include "gotemplate/template.h"

#include <exception>
#include <new>

#include "gotemplate/impl.h"
#include "gotemplate/parser.h"

namespace mr::gotemplate {

Result<Template> Template::parse(std::string_view name, std::string_view text, FuncMap funcs) {
  try {
    auto impl = std::make_shared<Impl>();
    impl->name = std::string(name);
    impl->text = std::string(text);
    impl->funcs = std::move(funcs);
    MR_ASSIGN_OR_RETURN(impl->trees, detail::parse_templates(impl->name, impl->text, impl->funcs));
    return Template(std::move(impl));
  } catch (const std::bad_alloc&) {
    return failf(ErrorCode::kResourceExhausted, "template: {}: out of memory", name);
  } catch (const std::exception& e) {
    return failf(ErrorCode::kInternal, "template: {}: internal error: {}", name, e.what());
  }
}

Result<std::string> Template::execute(const Value& data) const {
  Budget budget;
  return execute(data, budget);
}

Result<std::string> Template::execute(const Value& data, Budget& budget) const {
  try {
    return detail::execute(*impl_, data, budget);
  } catch (const std::bad_alloc&) {
    return failf(ErrorCode::kResourceExhausted, "template: {}: out of memory", impl_->name);
  } catch (const std::exception& e) {
    return failf(ErrorCode::kInternal, "template: {}: internal error: {}", impl_->name, e.what());
  }
}

const std::string& Template::name() const {
  return impl_->name;
}

}  // namespace mr::gotemplate
