#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include "base/testing/temp_dir.h"
#include "seal/file_seal_key_provider.h"
#include "seal/gramine_seal_key_provider.h"

namespace mr::seal {
namespace {

namespace fs = std::filesystem;
using mr::testing::TempDir;

unsigned mode_of(const fs::path& p) {
  struct stat st {};
  EXPECT_EQ(::lstat(p.c_str(), &st), 0) << p;
  return st.st_mode & 07777;
}

void write_file(const fs::path& p, std::string_view content, unsigned mode) {
  {
    std::ofstream f(p, std::ios::binary | std::ios::trunc);
    f << content;
  }
  ASSERT_EQ(::chmod(p.c_str(), mode), 0);
}

TEST(FileSealKeyProviderTest, CreatesAPrivateKeyFileOnceAndKeepsIt) {
  TempDir tmp;
  const fs::path dir = tmp / "data" / "seal";
  FileSealKeyProvider provider(dir);
  EXPECT_EQ(provider.path(), dir / "seal.key");
  auto key = provider.seal_key(KeyKind::kProductKey);
  ASSERT_TRUE(key.has_value()) << key.error().message;
  EXPECT_EQ(key->size(), 32U);
  EXPECT_EQ(mode_of(dir), 0700U);
  EXPECT_EQ(mode_of(dir / "seal.key"), 0600U);
  EXPECT_EQ(fs::file_size(dir / "seal.key"), 32U);
  EXPECT_EQ(std::distance(fs::directory_iterator(dir), fs::directory_iterator()), 1)
      << "no temporary file left behind";

  // Same key again, for both kinds, and from a new provider (a restart).
  auto again = provider.seal_key(KeyKind::kUniqueKey);
  ASSERT_TRUE(again.has_value());
  EXPECT_TRUE(again->equals(key->span()));
  auto restarted = FileSealKeyProvider(dir).seal_key(KeyKind::kProductKey);
  ASSERT_TRUE(restarted.has_value());
  EXPECT_TRUE(restarted->equals(key->span()));
}

TEST(FileSealKeyProviderTest, RemovedKeyIsReplacedByANewOne) {
  TempDir tmp;
  FileSealKeyProvider provider(tmp.path());
  auto first = *provider.seal_key(KeyKind::kProductKey);
  fs::remove(provider.path());
  auto second = *provider.seal_key(KeyKind::kProductKey);
  EXPECT_FALSE(second.equals(first.span()));
}

TEST(FileSealKeyProviderTest, AcceptsStricterModes) {
  TempDir tmp;
  write_file(tmp / "seal.key", std::string(32, 'k'), 0400);
  auto key = FileSealKeyProvider(tmp.path()).seal_key(KeyKind::kProductKey);
  ASSERT_TRUE(key.has_value()) << key.error().message;
  EXPECT_EQ(key->view(), std::string(32, 'k'));
}

TEST(FileSealKeyProviderTest, RefusesWiderModes) {
  for (unsigned mode : {0644U, 0640U, 0604U, 0700U, 0660U, 04600U}) {
    TempDir tmp;
    write_file(tmp / "seal.key", std::string(32, 'k'), mode);
    auto key = FileSealKeyProvider(tmp.path()).seal_key(KeyKind::kProductKey);
    ASSERT_FALSE(key.has_value()) << std::oct << mode;
    EXPECT_EQ(key.error().code, ErrorCode::kFailedPrecondition);
    EXPECT_NE(key.error().message.find("chmod 600"), std::string::npos) << key.error().message;
    EXPECT_EQ(mode_of(tmp / "seal.key"), mode) << "the file is left alone";
  }
}

TEST(FileSealKeyProviderTest, RefusesWrongSize) {
  for (std::size_t size : {0U, 16U, 31U, 33U, 4096U}) {
    TempDir tmp;
    write_file(tmp / "seal.key", std::string(size, 'k'), 0600);
    auto key = FileSealKeyProvider(tmp.path()).seal_key(KeyKind::kProductKey);
    ASSERT_FALSE(key.has_value()) << size;
    EXPECT_EQ(key.error().code, ErrorCode::kFailedPrecondition);
    EXPECT_NE(key.error().message.find("want 32"), std::string::npos) << key.error().message;
    EXPECT_EQ(fs::file_size(tmp / "seal.key"), size) << "the file is left alone";
  }
}

TEST(FileSealKeyProviderTest, RefusesSymlinksAndDirectories) {
  TempDir tmp;
  write_file(tmp / "real.key", std::string(32, 'k'), 0600);
  fs::create_directory(tmp / "a");
  fs::create_symlink(tmp / "real.key", tmp / "a" / "seal.key");
  auto link = FileSealKeyProvider(tmp / "a").seal_key(KeyKind::kProductKey);
  ASSERT_FALSE(link.has_value());
  EXPECT_EQ(link.error().code, ErrorCode::kFailedPrecondition);

  fs::create_directories(tmp / "b" / "seal.key");
  ::chmod((tmp / "b" / "seal.key").c_str(), 0600);
  auto dir = FileSealKeyProvider(tmp / "b").seal_key(KeyKind::kProductKey);
  ASSERT_FALSE(dir.has_value());
  EXPECT_EQ(dir.error().code, ErrorCode::kFailedPrecondition) << dir.error().message;
}

TEST(FileSealKeyProviderTest, UncreatableDirectoryIsUnavailable) {
  TempDir tmp;
  write_file(tmp / "file", "x", 0600);
  auto key = FileSealKeyProvider(tmp / "file" / "seal").seal_key(KeyKind::kProductKey);
  ASSERT_FALSE(key.has_value());
  EXPECT_EQ(key.error().code, ErrorCode::kUnavailable) << key.error().message;
}

TEST(GramineSealKeyProviderTest, ReadsBothKeysFromTheRoot) {
  TempDir tmp;
  write_file(tmp / "_sgx_mrsigner", std::string(16, 's'), 0600);
  write_file(tmp / "_sgx_mrenclave", std::string(16, 'e'), 0600);
  GramineSealKeyProvider provider(tmp.path());
  auto product = provider.seal_key(KeyKind::kProductKey);
  auto unique = provider.seal_key(KeyKind::kUniqueKey);
  ASSERT_TRUE(product.has_value()) << product.error().message;
  ASSERT_TRUE(unique.has_value()) << unique.error().message;
  EXPECT_EQ(product->view(), std::string(16, 's'));
  EXPECT_EQ(unique->view(), std::string(16, 'e'));
}

TEST(GramineSealKeyProviderTest, MissingOrMalformedKeyFiles) {
  TempDir tmp;
  GramineSealKeyProvider provider(tmp.path());
  auto missing = provider.seal_key(KeyKind::kProductKey);
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_NE(missing.error().message.find("Gramine"), std::string::npos);

  write_file(tmp / "_sgx_mrenclave", std::string(32, 'e'), 0600);
  auto too_long = provider.seal_key(KeyKind::kUniqueKey);
  ASSERT_FALSE(too_long.has_value());
  EXPECT_EQ(too_long.error().code, ErrorCode::kFailedPrecondition);
  write_file(tmp / "_sgx_mrenclave", std::string(15, 'e'), 0600);
  EXPECT_FALSE(provider.seal_key(KeyKind::kUniqueKey).has_value());

  auto no_root = GramineSealKeyProvider(tmp / "nope").seal_key(KeyKind::kUniqueKey);
  ASSERT_FALSE(no_root.has_value());
  EXPECT_EQ(no_root.error().code, ErrorCode::kFailedPrecondition);
}

}  // namespace
}  // namespace mr::seal
