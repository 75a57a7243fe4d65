#pragma once

#include <QJsonArray>
#include <QJsonObject>
#include <QJsonValue>
#include <QString>

#include "runtime/jobresult.h"

#include <qcoro/qcoroasyncgenerator.h>
#include <qcoro/qcorotask.h>

#include <exception>
#include <functional>
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

/// A handler with its signature erased. Exactly one of the three functions is set.
struct Handler
{
    HandlerKind kind = HandlerKind::Async;
    std::function<QCoro::Task<HandlerOutcome>(Context &)> async;
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
            h.async = [fn](Context &ctx) -> QCoro::Task<HandlerOutcome> {
                try {
                    if constexpr (std::is_void_v<T>) {
                        co_await (*fn)(ctx);
                        co_return HandlerOutcome{};
                    } else {
                        auto value = co_await (*fn)(ctx);
                        co_return HandlerOutcome{toJobResult(std::move(value)), {}};
                    }
                } catch (...) {
                    co_return HandlerOutcome{{}, std::current_exception()};
                }
            };
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
} // namespace coroute
