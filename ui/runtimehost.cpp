#include "runtimehost.h"
#include "plan/plan.h"
#include "plan/planrunner.h"

#include "runtime/runtime.h"
#include "store/historyrecorder.h"
#include "trace/loopmonitor.h"
#include "uilog_p.h"

#include <QCoreApplication>
#include <QThread>

#include <openssl/crypto.h>

using namespace Qt::StringLiterals;

namespace coroute {

Q_LOGGING_CATEGORY(lcUi, "coroute.ui", QtInfoMsg)

// Owns everything that belongs to the runtime's thread. Created on the GUI thread, moved to
// the runtime thread before any of its members exist.
class RuntimeHost::Worker : public QObject
{
public:
    std::unique_ptr<Runtime> runtime;
    std::unique_ptr<HistoryRecorder> recorder;
    std::unique_ptr<LoopMonitor> monitor;
    std::optional<QCoro::Task<void>> shutdownTask;
    std::vector<std::weak_ptr<PlanRunner>> plans; ///< running plans, cancelled on shutdown
};

namespace {

QCoro::Task<void> shutDown(RuntimeHost::Options *, Runtime *runtime)
{
    co_await runtime->shutdown();
}

void collectSubtree(const JobRegistry &jobs, JobId id, const QList<JobInfo> &all, QList<JobId> &out)
{
    out.append(id);
    for (const auto child : jobs.children(id))
        collectSubtree(jobs, child, all, out);
    for (const auto &j : all) {
        if (j.linkedFrom == id && !out.contains(j.id))
            collectSubtree(jobs, j.id, all, out);
    }
}

} // namespace

RuntimeHost::RuntimeHost(Options options, QObject *parent) : QObject(parent), m_options(std::move(options))
{
    qRegisterMetaType<coroute::ChangeSet>();
    qRegisterMetaType<QList<coroute::JobId>>();
    m_thread = new QThread;
    m_thread->setObjectName(u"coroute-runtime"_s);
    m_worker = new Worker;
    m_worker->moveToThread(m_thread);
    m_thread->start();

    // Blocking once at start: the window needs the route table before it shows.
    QMetaObject::invokeMethod(
        m_worker,
        [this] {
            auto *w = m_worker;
            w->runtime = std::make_unique<Runtime>();
            auto &rt = *w->runtime;
            rt.jobs().setBatchInterval(m_options.batchIntervalMs);
            if (m_options.builtins)
                registerBuiltins(rt, m_options.builtinsConfig);
            if (m_options.setup)
                m_options.setup(rt);
            if (m_options.store) {
                w->recorder = std::make_unique<HistoryRecorder>(rt, *m_options.store, m_options.runName,
                                                                m_options.command);
                m_runId = w->recorder->runId();
            }
            w->monitor = std::make_unique<LoopMonitor>(50, 1200);
            connect(w->monitor.get(), &LoopMonitor::sampled, this, &RuntimeHost::runtimeLagSampled,
                    Qt::QueuedConnection);
            // Queued: the host lives on the GUI thread, which applies the batches.
            connect(&rt.jobs(), &JobRegistry::changed, this, &RuntimeHost::changed, Qt::QueuedConnection);
            m_routes = rt.router().toJson();
        },
        Qt::BlockingQueuedConnection);
}

RuntimeHost::~RuntimeHost()
{
    shutdown();
}

bool RuntimeHost::isRunning() const
{
    return !m_stopped;
}

void RuntimeHost::invoke(std::function<void()> fn)
{
    if (m_stopped)
        return;
    QMetaObject::invokeMethod(m_worker, std::move(fn), Qt::QueuedConnection);
}

void RuntimeHost::post(std::function<void(Runtime &)> fn)
{
    invoke([w = m_worker, fn = std::move(fn)] {
        if (w->runtime && !w->shutdownTask)
            fn(*w->runtime);
    });
}

void RuntimeHost::runPlan(const QByteArray &json, const QString &name)
{
    invoke([this, w = m_worker, json, name] {
        if (!w->runtime || w->shutdownTask)
            return;
        QList<PlanError> errors;
        auto plan = Plan::parse(json, w->runtime->router(), &errors);
        if (!errors.isEmpty()) {
            Q_EMIT planRejected(name, Plan::errorsToJson(errors));
            return;
        }
        const int jobs = int(plan.jobs.size());
        auto runner = std::make_shared<PlanRunner>(*w->runtime, std::move(plan));
        w->plans.push_back(runner);
        Q_EMIT planStarted(name, jobs);
        // The runner lives until its run ends: the continuation holds it.
        runner->run().then([this, runner, name](const PlanResult &result) {
            Q_EMIT planFinished(name, result.toJson());
        });
    });
}

void RuntimeHost::submit(const CallRequest &request, int times)
{
    post([this, request, times](Runtime &rt) {
        QList<JobId> ids;
        for (int i = 0; i < times; ++i) {
            const auto s = rt.submit(request);
            if (!s.accepted()) {
                Q_EMIT refused(request.displayName(), s.refused->toJson());
                break;
            }
            ids.append(s.id);
        }
        if (!ids.isEmpty())
            Q_EMIT submitted(ids);
    });
}

void RuntimeHost::cancel(JobId id)
{
    post([id](Runtime &rt) { rt.cancel(id); });
}

void RuntimeHost::cancelSubtree(JobId id)
{
    post([id](Runtime &rt) {
        QList<JobId> ids;
        collectSubtree(rt.jobs(), id, rt.jobs().jobs(), ids);
        for (const auto j : std::as_const(ids))
            rt.cancel(j);
    });
}

void RuntimeHost::cancelAll()
{
    post([](Runtime &rt) { rt.cancelAll(); });
}

void RuntimeHost::rerun(const JobInfo &job)
{
    post([this, request = CallRequest{job.method, job.path, job.params, job.body}](Runtime &rt) {
        const auto s = rt.submit(request);
        if (s.accepted())
            Q_EMIT submitted({s.id});
        else
            Q_EMIT refused(request.displayName(), s.refused->toJson());
    });
}

void RuntimeHost::shutdown()
{
    if (m_stopped)
        return;
    m_stopped = true;
    QMetaObject::invokeMethod(m_worker, [w = m_worker, thread = m_thread, opts = &m_options] {
        w->monitor.reset();
        for (const auto &weak : w->plans) {
            if (auto runner = weak.lock())
                runner->cancel(CancelReason::Shutdown, u"shutdown"_s);
        }
        // Runs on the runtime's thread: every job settles, then the recorder writes the end
        // of the run and the runtime goes away before the thread stops.
        w->shutdownTask.emplace(shutDown(opts, w->runtime.get()).then([w, thread] {
            if (w->recorder)
                w->recorder->finish();
            w->recorder.reset();
            QMetaObject::invokeMethod(w, [w, thread] {
                w->runtime.reset();
                // libcrypto's per-thread state (curl initialised TLS here) is otherwise freed
                // by a TLS destructor after QThread::wait() has already returned (Qt's threads
                // are detached): LeakSanitizer at a quick process exit reported it as lost.
                OPENSSL_thread_stop();
                thread->quit();
            }, Qt::QueuedConnection);
        }));
    });
    m_thread->wait();
    // The last batches (the final flush) are queued to us: deliver them before we go.
    QCoreApplication::sendPostedEvents(this, QEvent::MetaCall);
    delete m_worker;
    m_worker = nullptr;
    delete m_thread;
    m_thread = nullptr;
}

} // namespace coroute
