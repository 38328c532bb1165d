#pragma once
// Test support: the real Coordinator program as a child process, and curl as the client.
//
//   auto coord = CoordinatorProcess::start({.seal_dir = dir / "data"});
//   HttpResult r = curl_https(coord->client_url() + "/api/v2/status");
//   coord->stop();            // SIGTERM; coord->kill() is SIGKILL

#include <sys/types.h>

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace mr::test {

struct CoordinatorOptions {
  std::filesystem::path seal_dir;
  std::map<std::string, std::string> env;  // extra environment (OE_SIMULATION=1 is the default)
  std::vector<std::string> args;
  // The program under build/bin: the development build (simulation mode available) by default,
  // "marblerun-coordinator" for the production build; a path with a '/' is used as given.
  std::string program = "marblerun-coordinator-sim";
};

class CoordinatorProcess {
 public:
  // start launches build/bin/<options.program> (or the path options.program) on 127.0.0.1 with
  // ephemeral ports and waits (up to 20 s) until its client API listens. Throws
  // std::runtime_error with the log on failure.
  static std::unique_ptr<CoordinatorProcess> start(const CoordinatorOptions& options);
  ~CoordinatorProcess();

  [[nodiscard]] int client_port() const { return client_port_; }
  [[nodiscard]] std::string client_url() const;
  // mesh_port is the Marble API port, or 0 if this build does not log one.
  [[nodiscard]] int mesh_port() const { return mesh_port_; }
  // pid is the process id (for /proc readings such as peak RSS).
  [[nodiscard]] pid_t pid() const { return pid_; }
  // log returns everything the process wrote to stdout and stderr so far.
  [[nodiscard]] std::string log() const;
  // stop sends SIGTERM and waits; returns the exit status (or -signal).
  int stop();
  // kill sends SIGKILL and waits.
  void kill();

 private:
  pid_t pid_ = -1;
  std::filesystem::path log_path_;
  int client_port_ = 0;
  int mesh_port_ = 0;
};

struct HttpResult {
  int status = 0;  // 0 when curl could not connect
  std::string body;
};

// curl_https runs curl -k against |url| (POST when |body| is given). |extra| are further curl
// arguments (e.g. "--cert", path). The request body goes through a temp file, never argv.
[[nodiscard]] HttpResult curl_https(const std::string& url, const std::string* body = nullptr,
                                    const std::vector<std::string>& extra = {});

// read_file returns the bytes of |path| ("" if it cannot be read).
[[nodiscard]] std::string read_file(const std::filesystem::path& path);
// testdata_key returns the path of tests/testdata/keys/<name> in the source tree.
[[nodiscard]] std::string testdata_key(const std::string& name);

// cpu_seconds returns the user + system CPU time process |pid| has used so far (fields 14 and 15
// of /proc/<pid>/stat), or -1 if it cannot be read.
[[nodiscard]] double cpu_seconds(pid_t pid);
// peak_rss_kib returns the peak resident set (VmHWM of /proc/<pid>/status) of |pid| in KiB, or -1
// if it cannot be read.
[[nodiscard]] long peak_rss_kib(pid_t pid);

// run_command runs |argv| and returns (exit code, stdout+stderr).
std::pair<int, std::string> run_command(const std::vector<std::string>& argv,
                                        const std::map<std::string, std::string>& env = {});

struct CommandResult {
  int exit_code = 0;  // or -signal
  std::string out;    // stdout
  std::string err;    // stderr
};

// run_command_split runs |argv| (|env| added to this process's environment) in |cwd| (empty: the
// current directory) and returns its exit code, stdout and stderr separately.
CommandResult run_command_split(const std::vector<std::string>& argv,
                                const std::map<std::string, std::string>& env = {},
                                const std::filesystem::path& cwd = {});

}  // namespace mr::test
