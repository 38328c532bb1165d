#include "support/process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace mr::test {
namespace {

std::string read_all(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Spawns |argv| with |env| added to this process's environment, stdout to |out_fd|, stderr to
// |err_fd| (-1: also |out_fd|), in |cwd| (empty: this process's).
pid_t spawn(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
            int out_fd, int err_fd = -1, const std::filesystem::path& cwd = {}) {
  std::vector<std::string> envs;
  for (char** e = environ; *e; ++e) {
    std::string kv(*e);
    const std::string key = kv.substr(0, kv.find('='));
    if (!env.contains(key)) envs.push_back(kv);
  }
  for (const auto& [k, v] : env)
    envs.push_back(k + "=" + v);
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(out_fd, 1);
    dup2(err_fd >= 0 ? err_fd : out_fd, 2);
    if (!cwd.empty() && chdir(cwd.c_str()) != 0) _exit(126);
    std::vector<char*> a, e;
    for (const auto& s : argv)
      a.push_back(const_cast<char*>(s.c_str()));
    a.push_back(nullptr);
    for (const auto& s : envs)
      e.push_back(const_cast<char*>(s.c_str()));
    e.push_back(nullptr);
    execve(a[0], a.data(), e.data());
    _exit(127);
  }
  return pid;
}

int wait_exit(pid_t pid) {
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
}

}  // namespace

std::unique_ptr<CoordinatorProcess> CoordinatorProcess::start(const CoordinatorOptions& options) {
  auto p = std::unique_ptr<CoordinatorProcess>(new CoordinatorProcess());
  std::filesystem::create_directories(options.seal_dir.parent_path());
  p->log_path_ =
      options.seal_dir.parent_path() /
      ("coordinator-" +
       std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()) + ".log");
  const int fd = open(p->log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  std::map<std::string, std::string> env = {{"OE_SIMULATION", "1"},
                                            {"EDG_COORDINATOR_SEAL_DIR", options.seal_dir.string()},
                                            {"EDG_COORDINATOR_CLIENT_ADDR", "127.0.0.1:0"},
                                            {"EDG_COORDINATOR_MESH_ADDR", "127.0.0.1:0"}};
  for (const auto& [k, v] : options.env)
    env[k] = v;
  std::vector<std::string> argv = {options.program.find('/') == std::string::npos
                                       ? std::string(MR_BINARY_DIR) + "/bin/" + options.program
                                       : options.program};
  argv.insert(argv.end(), options.args.begin(), options.args.end());
  p->pid_ = spawn(argv, env, fd);
  close(fd);
  const std::regex client_re(
      R"re("(?:component|caller)":"rest","msg":"client API listening".*"port":(\d+))re");
  const std::regex mesh_re(R"re("msg":"Marble API listening".*"port":(\d+))re");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline) {
    const std::string log = read_all(p->log_path_);
    std::smatch m;
    // Ready once the client API listens and the Marble API has been started (it logs its port
    // after the client API; "Coordinator started" ends the startup of a build without it).
    if (std::regex_search(log, m, client_re)) {
      p->client_port_ = std::stoi(m[1]);
      if (std::regex_search(log, m, mesh_re)) {
        p->mesh_port_ = std::stoi(m[1]);
        return p;
      }
      if (log.find(R"("msg":"Coordinator started")") != std::string::npos) return p;
    }
    int status = 0;
    if (waitpid(p->pid_, &status, WNOHANG) == p->pid_) {
      p->pid_ = -1;
      throw std::runtime_error("coordinator exited during startup:\n" + log);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  throw std::runtime_error("coordinator did not start within 20 s:\n" + read_all(p->log_path_));
}

CoordinatorProcess::~CoordinatorProcess() {
  if (pid_ > 0) kill();
}

std::string CoordinatorProcess::client_url() const {
  return "https://127.0.0.1:" + std::to_string(client_port_);
}

std::string CoordinatorProcess::log() const {
  return read_all(log_path_);
}

int CoordinatorProcess::stop() {
  if (pid_ <= 0) return 0;
  ::kill(pid_, SIGTERM);
  const int rc = wait_exit(pid_);
  pid_ = -1;
  return rc;
}

void CoordinatorProcess::kill() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  wait_exit(pid_);
  pid_ = -1;
}

double cpu_seconds(pid_t pid) {
  const std::string stat = read_all("/proc/" + std::to_string(pid) + "/stat");
  // The command name (field 2) may contain spaces and parentheses: fields 3.. follow the last ')'.
  const auto close = stat.rfind(')');
  if (close == std::string::npos) return -1;
  std::istringstream fields(stat.substr(close + 1));
  std::string field;
  unsigned long long utime = 0, stime = 0;
  for (int n = 3; n <= 15 && fields >> field; ++n) {
    if (n == 14) utime = std::stoull(field);
    if (n == 15) stime = std::stoull(field);
  }
  if (!fields) return -1;
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

long peak_rss_kib(pid_t pid) {
  std::istringstream status(read_all("/proc/" + std::to_string(pid) + "/status"));
  for (std::string line; std::getline(status, line);) {
    if (line.starts_with("VmHWM:")) return std::stol(line.substr(6));
  }
  return -1;
}

std::pair<int, std::string> run_command(const std::vector<std::string>& argv,
                                        const std::map<std::string, std::string>& env) {
  char path[] = "/tmp/mr-cmd-XXXXXX";
  const int fd = mkstemp(path);
  const pid_t pid = spawn(argv, env, fd);
  close(fd);
  const int rc = wait_exit(pid);
  std::string out = read_all(path);
  unlink(path);
  return {rc, out};
}

CommandResult run_command_split(const std::vector<std::string>& argv,
                                const std::map<std::string, std::string>& env,
                                const std::filesystem::path& cwd) {
  char out_path[] = "/tmp/mr-out-XXXXXX";
  char err_path[] = "/tmp/mr-err-XXXXXX";
  const int out_fd = mkstemp(out_path);
  const int err_fd = mkstemp(err_path);
  const pid_t pid = spawn(argv, env, out_fd, err_fd, cwd);
  close(out_fd);
  close(err_fd);
  CommandResult r;
  r.exit_code = wait_exit(pid);
  r.out = read_all(out_path);
  r.err = read_all(err_path);
  unlink(out_path);
  unlink(err_path);
  return r;
}

HttpResult curl_https(const std::string& url, const std::string* body,
                      const std::vector<std::string>& extra) {
  std::vector<std::string> argv = {"/usr/bin/curl", "-sk", "--max-time", "30", "-w",
                                   "\n%{http_code}"};
  char path[] = "/tmp/mr-body-XXXXXX";
  int fd = -1;
  if (body) {
    fd = mkstemp(path);
    if (write(fd, body->data(), body->size()) != static_cast<ssize_t>(body->size()))
      throw std::runtime_error("write");
    close(fd);
    argv.insert(argv.end(), {"-X", "POST", "--data-binary", std::string("@") + path});
  }
  argv.insert(argv.end(), extra.begin(), extra.end());
  argv.push_back(url);
  auto [rc, out] = run_command(argv);
  if (body) unlink(path);
  HttpResult r;
  const auto nl = out.rfind('\n');
  if (nl == std::string::npos) return r;
  r.status = std::atoi(out.c_str() + nl + 1);
  r.body = out.substr(0, nl);
  return r;
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string testdata_key(const std::string& name) {
  return std::string(MR_SOURCE_DIR) + "/tests/testdata/keys/" + name;
}

}  // namespace mr::test
