// `marblerun manifest check` as a user runs it: the real binary, real files.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <fstream>

#include "base/testing/temp_dir.h"

namespace mr::cli {
namespace {

using ::testing::HasSubstr;

struct RunResult {
  int exit_code;
  std::string output;
};

RunResult run(const std::string& args) {
  const std::string cmd = std::string(MR_BINARY_DIR) + "/bin/marblerun " + args + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  std::string out;
  std::array<char, 4096> buf;
  while (std::size_t n = fread(buf.data(), 1, buf.size(), p))
    out.append(buf.data(), n);
  const int status = pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

std::string sample(const char* name) {
  return std::string(MR_SOURCE_DIR) + "/samples/" + name;
}

TEST(ManifestCheck, SamplesAreOk) {
  RunResult r = run("manifest check " + sample("minimal.json") + " " + sample("full.json") + " " +
                    sample("multi-party.json"));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  for (const char* name : {"minimal.json", "full.json", "multi-party.json"}) {
    EXPECT_THAT(r.output, HasSubstr("OK: " + sample(name) + "\n"));
  }
  // full.json has a Debug package without identity values: warned about, still valid.
  EXPECT_THAT(r.output,
              HasSubstr(sample("full.json") +
                        ": warning: manifest misses value for SignerID in package debug-tools\n"));
}

TEST(ManifestCheck, ListsEveryProblemAndExitsOne) {
  testing::TempDir dir;
  const auto path = (dir / "bad.json").string();
  std::ofstream(path)
      << R"({"Packages":{"p":{"SignerID":"ab"}},"Marbles":{"m":{"Package":"p","TLS":["t"]}},"Config":{"SealMode":"Never"}})";
  RunResult r = run("manifest check " + path);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.output, HasSubstr(path + ": manifest misses value for ProductID in package p\n"));
  EXPECT_THAT(r.output,
              HasSubstr(path + ": manifest misses value for SecurityVersion in package p\n"));
  EXPECT_THAT(r.output, HasSubstr(path + ": manifest misses TLS entry for t\n"));
  EXPECT_THAT(r.output, HasSubstr(path + ": unknown seal mode: Never\n"));
  EXPECT_THAT(r.output, ::testing::Not(HasSubstr("OK:")));
}

TEST(ManifestCheck, NeitherJsonNorYamlIsOneLine) {
  testing::TempDir dir;
  const auto path = (dir / "x.json").string();
  std::ofstream(path) << "{\"Packages\": [1, 2\n";
  RunResult r = run("manifest check " + path);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << r.output;
  EXPECT_THAT(r.output,
              HasSubstr(path + ": not a valid manifest: neither JSON (invalid JSON at byte"));
  EXPECT_THAT(r.output, HasSubstr("nor a YAML mapping (invalid YAML: line"));
}

TEST(ManifestCheck, YamlIsCheckedAsTheJsonItConvertsTo) {
  testing::TempDir dir;
  const auto ok = (dir / "ok.yaml").string();
  std::ofstream(ok) << "Packages:\n  p:\n    UniqueID: \"" << std::string(64, '0')
                    << "\"\nMarbles:\n  m:\n    Package: p\n";
  RunResult good = run("manifest check " + ok);
  EXPECT_EQ(good.exit_code, 0) << good.output;
  EXPECT_EQ(good.output, "OK: " + ok + "\n");
  const auto bad = (dir / "bad.yaml").string();
  std::ofstream(bad) << "Packages:\n  p: {}\n";
  RunResult r = run("manifest check " + bad);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.output, HasSubstr(bad + ": no allowed marbles defined\n"));
}

TEST(ManifestCheck, NotAManifestAndMissingFile) {
  testing::TempDir dir;
  const auto arr = (dir / "arr.json").string();
  std::ofstream(arr) << "[1,2,3]";
  RunResult r = run("manifest check " + arr + " " + (dir / "missing.json").string() + " " +
                    sample("minimal.json"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(
      r.output,
      HasSubstr(
          arr +
          ": not a valid manifest: json: cannot unmarshal array into Go value of type Manifest\n"));
  EXPECT_THAT(r.output, HasSubstr("missing.json: cannot read: No such file or directory\n"));
  EXPECT_THAT(r.output, HasSubstr("OK: " + sample("minimal.json")));
}

TEST(ManifestCheck, UsageErrorsExitTwo) {
  EXPECT_EQ(run("manifest check").exit_code, 2);
  EXPECT_EQ(run("frobnicate").exit_code, 2);
}

}  // namespace
}  // namespace mr::cli
