// libmarble.so: the installable shared library of mr_marble (see src/marble/CMakeLists.txt). Its
// code comes from the static mr_marble archive, linked whole; this file only gives the target a
// source.
namespace mr::marble {
// libmarble_version is the library's version string.
const char* libmarble_version() {
  return MR_VERSION;
}
}  // namespace mr::marble
