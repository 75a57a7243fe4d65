#pragma once

#include <QJsonArray>
#include <QJsonObject>
#include <QJsonValue>
#include <QString>

#include "runtime/jobresult.h"

#include <qcoro/qcoroasyncgenerator.h>
#include <qcoro/qcorotask.h>

#include <coroutine>
#include <exception>
#include <functional>
#include <new>
#include <type_traits>

namespace coroute {

class Context;

/// How a handler runs, detected from its signature when the route is registered.
enum class HandlerKind {
    Async,     ///< returns QCoro::Task<T>: awaited on the runtime's event loop
    Sync,      ///< returns T: run on the runtime's thread pool so the loop never blocks
    Streaming, ///< returns QCoro::AsyncGenerator<T>: items flow to the caller as produced
};

QString nameOf(HandlerKind kind);

/// How an async handler ended: its value, or what it threw. Carried rather than rethrown, so
/// a cancelled job pays one exception (its own) instead of one more per awaiting frame.
struct HandlerOutcome
{
    JobResult value;
    std::exception_ptr error; ///< set when the handler threw
};

/// An async handler's running task, as Handler::async returns it: awaiting it gives the
/// handler's HandlerOutcome and never throws. It awaits the handler's own QCoro::Task<T>
/// directly (T erased by a table of functions, the task stored inline), so a job costs no
/// wrapper coroutine. Move-only; await it once.
class HandlerCall
{
public:
    template<typename T>
    explicit HandlerCall(QCoro::Task<T> task) noexcept : m_ops(&opsFor<T>)
    {
        static_assert(sizeof(QCoro::Task<T>) <= sizeof(m_storage) && alignof(QCoro::Task<T>) <= alignof(void *));
        new (m_storage) QCoro::Task<T>(std::move(task));
    }
    /// A handler that threw before it returned its task.
    explicit HandlerCall(std::exception_ptr error) noexcept : m_ops(&failedOps)
    {
        new (m_storage) std::exception_ptr(std::move(error));
    }
    HandlerCall(HandlerCall &&other) noexcept : m_ops(other.m_ops) { m_ops->move(m_storage, other.m_storage); }
    HandlerCall(const HandlerCall &) = delete;
    HandlerCall &operator=(const HandlerCall &) = delete;
    HandlerCall &operator=(HandlerCall &&) = delete;
    ~HandlerCall() { m_ops->destroy(m_storage); }

    bool await_ready() const noexcept { return m_ops->ready(m_storage); }
    void await_suspend(std::coroutine_handle<> awaiting) { m_ops->suspend(m_storage, awaiting); }
    HandlerOutcome await_resume() { return m_ops->resume(m_storage); }

private:
    struct Ops
    {
        bool (*ready)(const void *self);
        void (*suspend)(void *self, std::coroutine_handle<> awaiting);
        HandlerOutcome (*resume)(void *self);
        void (*move)(void *to, void *from);
        void (*destroy)(void *self);
    };

    template<typename T>
    static HandlerOutcome resumeTask(void *self);

    template<typename T>
    static constexpr Ops opsFor{
        [](const void *self) { return static_cast<const QCoro::Task<T> *>(self)->operator co_await().await_ready(); },
        [](void *self, std::coroutine_handle<> awaiting) {
            static_cast<QCoro::Task<T> *>(self)->operator co_await().await_suspend(awaiting);
        },
        &resumeTask<T>,
        [](void *to, void *from) { new (to) QCoro::Task<T>(std::move(*static_cast<QCoro::Task<T> *>(from))); },
        [](void *self) { static_cast<QCoro::Task<T> *>(self)->~Task(); },
    };
    static constexpr Ops failedOps{
        [](const void *) { return true; },
        [](void *, std::coroutine_handle<>) {},
        [](void *self) { return HandlerOutcome{{}, *static_cast<std::exception_ptr *>(self)}; },
        [](void *to, void *from) { new (to) std::exception_ptr(std::move(*static_cast<std::exception_ptr *>(from))); },
        [](void *self) { static_cast<std::exception_ptr *>(self)->~exception_ptr(); },
    };

    alignas(void *) unsigned char m_storage[sizeof(void *)];
    const Ops *m_ops;
};

/// A handler with its signature erased. Exactly one of the three functions is set.
struct Handler
{
    HandlerKind kind = HandlerKind::Async;
    std::function<HandlerCall(Context &)> async;
    std::function<JobResult(Context &)> sync;
    std::function<QCoro::AsyncGenerator<QJsonValue>(Context &)> streaming;
};

namespace detail {

template<typename T>
struct IsTask : std::false_type {};
template<typename T>
struct IsTask<QCoro::Task<T>> : std::true_type { using Value = T; };

template<typename T>
struct IsGenerator : std::false_type {};
template<typename T>
struct IsGenerator<QCoro::AsyncGenerator<T>> : std::true_type { using Value = T; };

/// Types a handler may return (or co_return): JSON, or a TypedResult kept as itself.
template<typename T>
inline constexpr bool isJsonResult = std::is_void_v<T> || std::is_constructible_v<QJsonValue, T>
                                     || std::is_same_v<std::decay_t<T>, JobResult> || TypedResult<std::decay_t<T>>;

template<typename T>
QJsonValue toJsonValue(T &&value)
{
    if constexpr (std::is_integral_v<std::decay_t<T>> && !std::is_same_v<std::decay_t<T>, bool>)
        return QJsonValue(qint64(value));
    else
        return QJsonValue(std::forward<T>(value));
}

template<typename T>
JobResult toJobResult(T &&value)
{
    if constexpr (std::is_same_v<std::decay_t<T>, JobResult>)
        return std::forward<T>(value);
    else if constexpr (TypedResult<std::decay_t<T>>)
        return JobResult::fromValue(std::forward<T>(value));
    else
        return toJsonValue(std::forward<T>(value));
}

template<typename F>
Handler makeHandler(F &&f)
{
    using Fn = std::decay_t<F>;
    static_assert(std::is_invocable_v<Fn &, Context &>,
                  "A coroute handler must be callable as handler(coroute::Context &ctx) and return "
                  "QCoro::Task<T> (async, on the loop), QCoro::AsyncGenerator<T> (streaming) or a "
                  "plain T (sync, run on the pool), where T is void, convertible to QJsonValue "
                  "(QJsonObject, QJsonArray, QString, bool, an integer or a double) or a type with "
                  "toJson() (coroute::TypedResult).");
    if constexpr (std::is_invocable_v<Fn &, Context &>) {
        using R = std::invoke_result_t<Fn &, Context &>;
        Handler h;
        auto fn = std::make_shared<Fn>(std::forward<F>(f));
        if constexpr (IsTask<R>::value) {
            using T = typename IsTask<R>::Value;
            static_assert(isJsonResult<T>,
                          "An async coroute handler must return QCoro::Task<T> where T is void, "
                          "convertible to QJsonValue (QJsonObject, QJsonArray, QString, bool, number) "
                          "or a type with toJson() (coroute::TypedResult).");
            h.kind = HandlerKind::Async;
            // A plain function returning a task may throw before it does: the runtime catches
            // that where it calls every handler, hand-built ones included.
            h.async = [fn](Context &ctx) { return HandlerCall((*fn)(ctx)); };
        } else if constexpr (IsGenerator<R>::value) {
            using T = typename IsGenerator<R>::Value;
            static_assert(std::is_constructible_v<QJsonValue, T>,
                          "A streaming coroute handler must return QCoro::AsyncGenerator<T> where T "
                          "is convertible to QJsonValue.");
            h.kind = HandlerKind::Streaming;
            if constexpr (std::is_same_v<T, QJsonValue>) {
                h.streaming = [fn](Context &ctx) { return (*fn)(ctx); };
            } else {
                h.streaming = [fn](Context &ctx) -> QCoro::AsyncGenerator<QJsonValue> {
                    auto gen = (*fn)(ctx);
                    auto it = co_await gen.begin();
                    while (it != gen.end()) {
                        co_yield toJsonValue(*it);
                        co_await ++it;
                    }
                };
            }
        } else {
            static_assert(isJsonResult<R>,
                          "A sync coroute handler must return void, a type convertible to QJsonValue "
                          "or a type with toJson(); to run on the loop return QCoro::Task<T> instead.");
            h.kind = HandlerKind::Sync;
            h.sync = [fn](Context &ctx) -> JobResult {
                if constexpr (std::is_void_v<R>) {
                    (*fn)(ctx);
                    return QJsonValue();
                } else {
                    return toJobResult((*fn)(ctx));
                }
            };
        }
        return h;
    } else {
        return Handler{};
    }
}

} // namespace detail

template<typename T>
HandlerOutcome HandlerCall::resumeTask(void *self)
{
    auto &task = *static_cast<QCoro::Task<T> *>(self);
    try {
        if constexpr (std::is_void_v<T>) {
            task.operator co_await().await_resume();
            return {};
        } else {
            return {detail::toJobResult(task.operator co_await().await_resume()), {}};
        }
    } catch (...) {
        return {{}, std::current_exception()};
    }
}

} // namespace coroute
