// Spec 2.3 step 2: the UUID file.
#include "marble/uuid_file.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

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

void write(const std::filesystem::path& p, const std::string& s) {
  std::ofstream(p, std::ios::binary) << s;
}

mode_t mode_of(const std::filesystem::path& p) {
  struct stat st {};
  EXPECT_EQ(::stat(p.c_str(), &st), 0);
  return st.st_mode & 07777;
}

// UmaskGuard sets a umask for one test and restores the old one.
class UmaskGuard {
 public:
  explicit UmaskGuard(mode_t m) : old_(::umask(m)) {}
  ~UmaskGuard() { ::umask(old_); }

 private:
  mode_t old_;
};

TEST(UuidFile, CreatesCanonicalV4With0600) {
  mr::testing::TempDir dir;
  UmaskGuard umask(0);  // 0600 must not depend on the umask
  auto u = load_or_create_uuid(dir / "uuid");
  ASSERT_TRUE(u) << u.error().message;
  EXPECT_TRUE(u->created);
  const std::string text = read(dir / "uuid");
  EXPECT_EQ(text, u->uuid.to_string());  // canonical form, no newline
  EXPECT_EQ(text.size(), 36u);
  EXPECT_EQ(text[14], '4');  // version 4
  EXPECT_EQ(mode_of(dir / "uuid"), 0600u);
  // No temporary file is left behind.
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path()), {}), 1);
}

TEST(UuidFile, ReusesExistingFile) {
  mr::testing::TempDir dir;
  auto first = load_or_create_uuid(dir / "uuid");
  ASSERT_TRUE(first);
  auto second = load_or_create_uuid(dir / "uuid");
  ASSERT_TRUE(second);
  EXPECT_FALSE(second->created);
  EXPECT_EQ(second->uuid, first->uuid);
}

TEST(UuidFile, AcceptsOtherFormsAndWhitespace) {
  mr::testing::TempDir dir;
  write(dir / "uuid", "{6BA7B810-9DAD-11D1-80B4-00C04FD430C8}\n");
  auto u = load_or_create_uuid(dir / "uuid");
  ASSERT_TRUE(u) << u.error().message;
  EXPECT_EQ(u->uuid.to_string(), "6ba7b810-9dad-11d1-80b4-00c04fd430c8");
  // The file is not rewritten.
  EXPECT_EQ(read(dir / "uuid"), "{6BA7B810-9DAD-11D1-80B4-00C04FD430C8}\n");
}

TEST(UuidFile, GarbageIsAnErrorThatDoesNotEchoTheContent) {
  mr::testing::TempDir dir;
  write(dir / "uuid", "secret-looking-garbage");
  auto u = load_or_create_uuid(dir / "uuid");
  ASSERT_FALSE(u);
  EXPECT_EQ(u.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(u.error().message.find("does not hold a UUID"), std::string::npos);
  EXPECT_EQ(u.error().message.find("garbage"), std::string::npos);
}

TEST(UuidFile, MissingDirectoryIsAnError) {
  mr::testing::TempDir dir;
  auto u = load_or_create_uuid(dir / "missing" / "uuid");
  ASSERT_FALSE(u);
  EXPECT_EQ(u.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(u.error().message.find("writing UUID file"), std::string::npos);
}

TEST(UuidFile, UnreadableDirectoryEntryIsAnError) {
  mr::testing::TempDir dir;
  std::filesystem::create_directory(dir / "uuid");
  auto u = load_or_create_uuid(dir / "uuid");
  ASSERT_FALSE(u);
  EXPECT_EQ(u.error().code, ErrorCode::kUnavailable);
}

TEST(UuidFile, EmptyPathIsAnError) {
  auto u = load_or_create_uuid("");
  ASSERT_FALSE(u);
  EXPECT_EQ(u.error().code, ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace mr::marble
