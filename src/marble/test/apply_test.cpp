// Spec 2.3 step 6: writing Files (dirs 0700, files 0600, atomically), Env, the argv to run.
#include "marble/apply.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "base/testing/temp_dir.h"

namespace mr::marble {
namespace {

std::string read(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

mode_t mode_of(const std::filesystem::path& p) {
  struct stat st {};
  EXPECT_EQ(::stat(p.c_str(), &st), 0) << p;
  return st.st_mode & 07777;
}

class UmaskGuard {
 public:
  explicit UmaskGuard(mode_t m) : old_(::umask(m)) {}
  ~UmaskGuard() { ::umask(old_); }

 private:
  mode_t old_;
};

TEST(WriteFiles, CreatesDirectories0700AndFiles0600) {
  mr::testing::TempDir dir;
  UmaskGuard umask(0);
  Parameters::Map files;
  const std::string binary("key\0\xff\n", 6);
  files[(dir / "a" / "b" / "c.key").string()] = binary;
  files[(dir / "top.txt").string()] = "hello";
  ASSERT_TRUE(write_files(files));
  EXPECT_EQ(read(dir / "a" / "b" / "c.key"), binary);
  EXPECT_EQ(read(dir / "top.txt"), "hello");
  EXPECT_EQ(mode_of(dir / "a"), 0700u);
  EXPECT_EQ(mode_of(dir / "a" / "b"), 0700u);
  EXPECT_EQ(mode_of(dir / "a" / "b" / "c.key"), 0600u);
  EXPECT_EQ(mode_of(dir / "top.txt"), 0600u);
  // No temporary files are left behind.
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir / "a" / "b"), {}), 1);
}

TEST(WriteFiles, LeavesExistingDirectoriesAlone) {
  mr::testing::TempDir dir;
  std::filesystem::create_directory(dir / "shared");
  ::chmod((dir / "shared").c_str(), 0755);
  ASSERT_TRUE(write_files({{(dir / "shared" / "f").string(), "x"}}));
  EXPECT_EQ(mode_of(dir / "shared"), 0755u);
  EXPECT_EQ(mode_of(dir / "shared" / "f"), 0600u);
}

TEST(WriteFiles, ReplacesExistingFileAnd0600Wins) {
  mr::testing::TempDir dir;
  { std::ofstream(dir / "f") << "old content that is longer"; }
  ::chmod((dir / "f").c_str(), 0644);
  ASSERT_TRUE(write_files({{(dir / "f").string(), "new"}}));
  EXPECT_EQ(read(dir / "f"), "new");
  EXPECT_EQ(mode_of(dir / "f"), 0600u);
}

TEST(WriteFiles, EmptyContentMakesAnEmptyFile) {
  mr::testing::TempDir dir;
  ASSERT_TRUE(write_files({{(dir / "empty").string(), ""}}));
  EXPECT_TRUE(std::filesystem::exists(dir / "empty"));
  EXPECT_EQ(std::filesystem::file_size(dir / "empty"), 0u);
}

TEST(WriteFiles, RelativePathsAreRelativeToTheWorkingDirectory) {
  mr::testing::TempDir dir;
  const auto old = std::filesystem::current_path();
  std::filesystem::current_path(dir.path());
  const Status s = write_files({{"rel/dir/file", "r"}, {"plain", "p"}});
  std::filesystem::current_path(old);
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(read(dir / "rel" / "dir" / "file"), "r");
  EXPECT_EQ(read(dir / "plain"), "p");
  EXPECT_EQ(mode_of(dir / "rel"), 0700u);
}

TEST(WriteFiles, FailureNamesThePathButNotTheContent) {
  mr::testing::TempDir dir;
  { std::ofstream(dir / "file") << "x"; }
  const std::string path = (dir / "file" / "below").string();  // parent is a file
  const Status s = write_files({{path, "SECRET-CONTENT"}});
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(s.error().message.find("writing file " + path), std::string::npos);
  EXPECT_EQ(s.error().message.find("SECRET"), std::string::npos);
}

TEST(WriteFiles, DirectoryAsTargetFails) {
  mr::testing::TempDir dir;
  std::filesystem::create_directory(dir / "d");
  EXPECT_FALSE(write_files({{(dir / "d").string(), "x"}}));
  EXPECT_FALSE(write_files({{(dir / "d").string() + "/", "x"}}));
}

TEST(WriteFiles, GramineKeyFilesGoToTheAttestationDirInPlace) {
  mr::testing::TempDir dir;
  const auto att = dir / "attestation";
  std::filesystem::create_directories(att / "keys");
  {
    std::ofstream(att / "keys" / "my_key") << "";
    std::ofstream(att / "protected_files_key") << "";
  }
  const Status s =
      write_files({{"/dev/attestation/keys/my_key", "0123456789abcdef0123456789abcdef"},
                   {"/dev/attestation/protected_files_key", "fedcba9876543210"},
                   {(dir / "normal").string(), "n"}},
                  {.attestation_dir = att});
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(read(att / "keys" / "my_key"), "0123456789abcdef0123456789abcdef");
  EXPECT_EQ(read(att / "protected_files_key"), "fedcba9876543210");
  EXPECT_EQ(read(dir / "normal"), "n");
}

TEST(WriteFiles, GramineKeyFileMustExist) {
  mr::testing::TempDir dir;
  const auto att = dir / "attestation";
  std::filesystem::create_directories(att / "keys");
  const Status s =
      write_files({{"/dev/attestation/keys/unknown", "k"}, {(dir / "normal").string(), "n"}},
                  {.attestation_dir = att});
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message.find("/dev/attestation/keys/unknown"), std::string::npos);
  // Key files come first: nothing else was written.
  EXPECT_FALSE(std::filesystem::exists(dir / "normal"));
  EXPECT_FALSE(std::filesystem::exists(att / "keys" / "unknown"));
}

TEST(ApplyEnv, SetsAndOverwrites) {
  ::setenv("MR_MARBLE_TEST_B", "old", 1);
  ASSERT_TRUE(apply_env({{"MR_MARBLE_TEST_A", "a value"}, {"MR_MARBLE_TEST_B", "new"}}));
  EXPECT_STREQ(::getenv("MR_MARBLE_TEST_A"), "a value");
  EXPECT_STREQ(::getenv("MR_MARBLE_TEST_B"), "new");
  ::unsetenv("MR_MARBLE_TEST_A");
  ::unsetenv("MR_MARBLE_TEST_B");
}

TEST(ApplyEnv, BadNameSetsNothing) {
  const Status s = apply_env({{"MR_MARBLE_TEST_C", "c"}, {"BAD=NAME", "x"}});
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(::getenv("MR_MARBLE_TEST_C"), nullptr);
}

TEST(ProgramArgv, CommandLineWinsThenCoordinatorArgv) {
  using V = std::vector<std::string>;
  EXPECT_EQ(*program_argv({"/bin/app", "-x"}, {"./other"}), (V{"/bin/app", "-x"}));
  EXPECT_EQ(*program_argv({}, {"./app", "--serve"}), (V{"./app", "--serve"}));
  auto none = program_argv({}, {});
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(none.error().message.find("no program to run"), std::string::npos);
}

}  // namespace
}  // namespace mr::marble
