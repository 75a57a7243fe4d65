#pragma once

#include "trace/spandata.h"

#include <QJsonValue>

#include <memory>

namespace coroute {

class Context;

namespace detail {
struct SpanState
{
    SpanData data;
    bool ended = false;
};
} // namespace detail

/// An open span of a job (RAII): `auto s = ctx.span(u"parse"_s);` ends when destroyed.
/// A span ended by unwinding an exception gets status error (cancelled when the job was
/// cancelled) unless one was set. Use it on the thread that opened it; the job's Context
/// must outlive it (it does for handler locals).
class Span
{
public:
    Span() = default;
    Span(Span &&other) noexcept;
    Span &operator=(Span &&other) noexcept;
    Span(const Span &) = delete;
    Span &operator=(const Span &) = delete;
    ~Span();

    void setAttribute(const QString &key, const QJsonValue &value);
    void addEvent(const QString &name, const QJsonObject &attributes = {});
    /// Overrides the status the span gets when it ends (ok, or error when unwinding).
    void setStatus(SpanStatus status, const QString &message = {});
    /// Ends the span now; later calls do nothing.
    void end();

    quint64 id() const;
    bool isRecording() const;

private:
    friend class Context;
    Span(Context *ctx, std::shared_ptr<detail::SpanState> state);

    Context *m_ctx = nullptr;
    std::shared_ptr<detail::SpanState> m_state;
    int m_uncaught = 0;
};

} // namespace coroute
