#include "trace/span.h"

#include "runtime/context.h"

#include <exception>

using namespace Qt::StringLiterals;

namespace coroute {

Span::Span(Context *ctx, std::shared_ptr<detail::SpanState> state)
    : m_ctx(ctx), m_state(std::move(state)), m_uncaught(std::uncaught_exceptions())
{
}

Span::Span(Span &&other) noexcept
    : m_ctx(std::exchange(other.m_ctx, nullptr)), m_state(std::move(other.m_state)), m_uncaught(other.m_uncaught)
{
}

Span &Span::operator=(Span &&other) noexcept
{
    if (this != &other) {
        end();
        m_ctx = std::exchange(other.m_ctx, nullptr);
        m_state = std::move(other.m_state);
        m_uncaught = other.m_uncaught;
    }
    return *this;
}

Span::~Span()
{
    end();
}

void Span::setAttribute(const QString &key, const QJsonValue &value)
{
    if (m_ctx && m_state)
        m_ctx->updateSpan(*m_state, [&](SpanData &d) { d.attributes.insert(key, value); });
}

void Span::addEvent(const QString &name, const QJsonObject &attributes)
{
    if (m_ctx && m_state)
        m_ctx->updateSpan(*m_state, [&](SpanData &d) { d.events.append({trace::nowNs(), name, attributes}); });
}

void Span::setStatus(SpanStatus status, const QString &message)
{
    if (m_ctx && m_state) {
        m_ctx->updateSpan(*m_state, [&](SpanData &d) {
            d.status = status;
            d.statusMessage = message;
        });
    }
}

void Span::end()
{
    if (!m_ctx || !m_state)
        return;
    const bool unwinding = std::uncaught_exceptions() > m_uncaught;
    // Unwinding in a cancelled job is (almost always) the Cancelled exception: not an error.
    if (unwinding && m_ctx->isCancelled())
        m_ctx->endSpan(*m_state, SpanStatus::Cancelled, u"cancelled"_s);
    else
        m_ctx->endSpan(*m_state, unwinding ? SpanStatus::Error : SpanStatus::Ok,
                       unwinding ? u"ended by an exception"_s : QString());
    m_ctx = nullptr;
    m_state.reset();
}

quint64 Span::id() const
{
    return m_state ? m_state->data.spanId : 0;
}

bool Span::isRecording() const
{
    return m_state && !m_state->ended;
}

} // namespace coroute
