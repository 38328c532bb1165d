#include "base/thread_pool.h"

namespace mr {

ThreadPool::ThreadPool(std::size_t threads, std::size_t max_queued) : max_queued_(max_queued) {
  threads_.reserve(threads);
  for (std::size_t i = 0; i < threads; ++i)
    threads_.emplace_back([this] { work(); });
}

bool ThreadPool::try_submit(std::function<void()> job) {
  {
    std::scoped_lock lock(mu_);
    if (stopping_ || jobs_.size() >= max_queued_) return false;
    jobs_.push_back(std::move(job));
  }
  ready_.notify_one();
  return true;
}

void ThreadPool::submit_wait(std::function<void()> job) {
  {
    std::unique_lock lock(mu_);
    space_.wait(lock, [&] { return jobs_.size() < max_queued_ || stopping_; });
    if (stopping_) return;
    jobs_.push_back(std::move(job));
  }
  ready_.notify_one();
}

void ThreadPool::stop() {
  {
    std::scoped_lock lock(mu_);
    stopping_ = true;
  }
  ready_.notify_all();
  space_.notify_all();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

void ThreadPool::work() {
  for (;;) {
    std::function<void()> job;
    {
      std::unique_lock lock(mu_);
      ready_.wait(lock, [&] { return !jobs_.empty() || stopping_; });
      if (jobs_.empty()) return;  // stopping and drained
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    space_.notify_one();
    job();
  }
}

}  // namespace mr
