// Plan parsing and validation against the built-in router (/sys, /demo, /fs, /db, /http):
// any bytes give a plan or a list of located PlanErrors, never a crash or a hang.
#include "fuzztarget.h"

#include "jobs/builtins.h"
#include "plan/plan.h"
#include "runtime/runtime.h"

#include <QCoreApplication>
#include <QDir>

#include <cstdlib>

using namespace coroute;

static Runtime &runtime()
{
    static int argc = 1;
    static char name[] = "fuzz_plan";
    static char *argv[] = {name, nullptr};
    static QCoreApplication *app = QCoreApplication::instance() ? nullptr : new QCoreApplication(argc, argv);
    Q_UNUSED(app)
    static Runtime *rt = [] {
        auto *r = new Runtime;
        // Parsing never touches the roots; a fixed folder keeps the target free of side effects.
        registerBuiltins(*r, {.roots = {QDir::tempPath()}});
        return r;
    }();
    return *rt;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArray json(reinterpret_cast<const char *>(data), qsizetype(size));
    QList<PlanError> errors;
    const Plan plan = Plan::parse(json, runtime().router(), &errors);
    if (errors.isEmpty()) {
        // A valid plan is usable: every dependency names a job of it.
        for (const auto &job : plan.jobs) {
            for (const auto &dep : job.after) {
                if (!plan.job(dep))
                    std::abort();
            }
        }
    } else {
        (void)Plan::errorsToJson(errors);
    }
    return 0;
}
