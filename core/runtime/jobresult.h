#pragma once

#include <QJsonValue>

#include <concepts>
#include <memory>
#include <mutex>
#include <type_traits>
#include <typeinfo>
#include <utility>

namespace coroute {

namespace detail {
template<typename T>
concept HasToJsonMember = requires(const T &t) {
    { t.toJson() } -> std::convertible_to<QJsonValue>;
};
template<typename T>
concept HasToJsonFunction = requires(const T &t) {
    { toJson(t) } -> std::convertible_to<QJsonValue>;
};
// Outside JobResult, whose own toJson() would hide the one argument lookup finds.
template<typename T>
QJsonValue freeToJson(const T &value)
{
    return QJsonValue(toJson(value));
}
} // namespace detail

class JobResult;
struct JobError;

/// A type a handler may return as itself: it has `QJsonObject toJson() const` (or any result
/// convertible to QJsonValue), or a free `toJson(const T &)` found by argument lookup. The
/// value must be self-contained (no views or pointers into the job's Context or dependencies)
/// and its toJson() safe to call from any thread: it runs after the job ended, where read.
/// A JobError is not a result: throw coroute::Error to fail a job.
template<typename T>
concept TypedResult = !std::is_constructible_v<QJsonValue, T> && !std::is_same_v<T, JobResult>
                      && !std::is_same_v<T, JobError>
                      && (detail::HasToJsonMember<T> || detail::HasToJsonFunction<T>);

/// A job's result: JSON, or the typed value its handler returned. A typed value becomes JSON
/// only when someone reads it as JSON (the history writer, a trace, the GUI), once, on the
/// thread that asks first: building JSON on the runtime's thread per job would cost more than
/// dispatching it. Copies share the value. Safe to read from any thread.
class JobResult
{
public:
    /// No result.
    JobResult() = default;
    /// A JSON result: anything QJsonValue is made from (QJsonObject, QJsonArray, QString...).
    template<typename J>
        requires std::is_constructible_v<QJsonValue, J> && (!std::is_same_v<std::decay_t<J>, JobResult>)
    JobResult(J &&json) : m_json(std::forward<J>(json))
    {
    }

    /// A typed result; its JSON is made on first use.
    template<TypedResult T>
    static JobResult fromValue(T value)
    {
        JobResult r;
        r.m_typed = std::make_shared<const Typed<T>>(std::move(value));
        return r;
    }

    /// The result as JSON (null for a handler that returned nothing). A typed value whose
    /// toJson() throws reads as {"error": "..."} saying so, and is logged once.
    QJsonValue toJson() const
    {
        if (!m_typed)
            return m_json;
        std::call_once(m_typed->converted, [this] {
            try {
                m_typed->json = m_typed->convert();
            } catch (const std::exception &e) {
                m_typed->json = conversionFailed(e.what());
            } catch (...) {
                m_typed->json = conversionFailed("an exception that is not a std::exception");
            }
        });
        return m_typed->json;
    }

    /// The handler's typed value, when it returned a T; null otherwise. The pointer is valid
    /// while this JobResult (or a copy of it) lives.
    template<typename T>
    const T *value() const
    {
        if (!m_typed || m_typed->type() != typeid(T))
            return nullptr;
        return &static_cast<const Typed<T> *>(m_typed.get())->value;
    }

    /// True for a typed result (value<T>() gives it), false for JSON.
    bool isTyped() const { return bool(m_typed); }

    /// Results are equal when their JSON is.
    friend bool operator==(const JobResult &a, const JobResult &b) { return a.toJson() == b.toJson(); }

private:
    static QJsonValue conversionFailed(const char *what);

    struct Holder
    {
        virtual ~Holder() = default;
        virtual QJsonValue convert() const = 0;
        virtual const std::type_info &type() const = 0;
        mutable std::once_flag converted;
        mutable QJsonValue json;
    };
    template<typename T>
    struct Typed final : Holder
    {
        explicit Typed(T v) : value(std::move(v)) {}
        QJsonValue convert() const override
        {
            if constexpr (detail::HasToJsonMember<T>)
                return QJsonValue(value.toJson());
            else
                return detail::freeToJson(value);
        }
        const std::type_info &type() const override { return typeid(T); }
        T value;
    };

    QJsonValue m_json;
    std::shared_ptr<const Holder> m_typed;
};

} // namespace coroute
