#pragma once
// ThreadPool: a fixed set of worker threads with a bounded job queue (servers use it to cap the
// work they accept).
//
//   ThreadPool pool(4, 64);
//   if (!pool.try_submit(job)) reply_overloaded();   // refuse when 64 jobs wait already
//   pool.submit_wait(job);                           // or wait for room (an accept loop)
//   pool.stop();                                     // runs what is queued, joins

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace mr {

class ThreadPool {
 public:
  ThreadPool(std::size_t threads, std::size_t max_queued);
  ~ThreadPool() { stop(); }
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  // try_submit queues |job|; false if max_queued jobs are waiting already or the pool stopped.
  [[nodiscard]] bool try_submit(std::function<void()> job);
  // submit_wait queues |job|, waiting while the queue is full (returns at once after stop(); the
  // job is then dropped).
  void submit_wait(std::function<void()> job);
  // stop runs the jobs still queued, then joins the threads. Idempotent.
  void stop();

 private:
  void work();

  const std::size_t max_queued_;
  std::mutex mu_;  // guards jobs_ and stopping_
  std::condition_variable ready_, space_;
  std::deque<std::function<void()>> jobs_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace mr
