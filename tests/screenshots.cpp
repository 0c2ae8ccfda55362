// Takes the README's screenshots of the real window, at 1280×800: the first-run guide, a
// failed delivery's Overview, and the subscriber table. Run under an X server, as
// packaging/screenshots.sh does:
//
//   hookscope_screenshots OUT_DIR
//
// It receives real deliveries on the window's own listener, signed as each provider signs.

#include "comparedialog.h"
#include "database.h"
#include "deliverydetailview.h"
#include "deliverylistmodel.h"
#include "endpointrepository.h"
#include "eventsview.h"
#include "mainwindow.h"
#include "subscribermodel.h"
#include "subscriberswindow.h"
#include "testsupport.h"

#include <QAction>
#include <QApplication>
#include <QDateTime>
#include <QDeadlineTimer>
#include <QDir>
#include <QStandardPaths>
#include <QTableView>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QThread>

#include <cstdio>
#include <functional>

namespace {

bool waitFor(const std::function<bool()> &condition, int timeoutMs = 15000)
{
    QDeadlineTimer deadline(timeoutMs);
    while (!condition()) {
        if (deadline.hasExpired())
            return false;
        QCoreApplication::processEvents(QEventLoop::AllEvents, 50);
        QThread::msleep(10);
    }
    return true;
}

void settle()
{
    // Long enough for queued queries to come back and for the window to repaint.
    for (int i = 0; i < 40; ++i) {
        QCoreApplication::processEvents(QEventLoop::AllEvents, 25);
        QThread::msleep(25);
    }
}

bool save(QWidget *widget, const QString &path)
{
    settle();
    if (!widget->grab().save(path)) {
        std::fprintf(stderr, "cannot write %s\n", qPrintable(path));
        return false;
    }
    std::printf("wrote %s\n", qPrintable(path));
    return true;
}

QByteArray request(const QByteArray &path, const HeaderList &headers, const QByteArray &body)
{
    HeaderList all;
    all.append("Content-Type", "application/json");
    all.append("User-Agent", "HostedHooks/1.0");
    for (const auto &[name, value] : headers.entries())
        all.append(name, value);
    return TestSupport::buildRequest("POST", path, all, body);
}

} // namespace

int main(int argc, char **argv)
{
    QApplication app(argc, argv);
    QCoreApplication::setOrganizationName(QStringLiteral("HookScope"));
    QCoreApplication::setApplicationName(QStringLiteral("hookscope-screenshots"));
    QStandardPaths::setTestModeEnabled(true);
    if (argc != 2) {
        std::fprintf(stderr, "usage: hookscope_screenshots OUT_DIR\n");
        return 2;
    }
    const QString out = QString::fromLocal8Bit(argv[1]);
    QDir().mkpath(out);
    QTemporaryDir scratch;
    const QSize size(1280, 800);

    // 1. First launch: an empty file.
    {
        MainWindow::Options options;
        options.databasePath = scratch.filePath(QStringLiteral("hookscope.db"));
        options.port = 0;
        MainWindow window(options);
        window.resize(size);
        window.show();
        if (!waitFor([&] { return window.isReady() && window.showsFirstRunGuide(); }) ||
            !save(&window, out + QStringLiteral("/first-run.png")))
            return 1;
    }

    // 2. Deliveries from HostedHooks, GitHub and Stripe, one Stripe delivery failing.
    const QString path = scratch.filePath(QStringLiteral("team.db"));
    const QByteArray hostedSecret = "hh_live_4f9a2c";
    const QByteArray stripeSecret = "whsec_7Jq3vX2mZ9pL4kR8";
    const QByteArray githubSecret = "gh-webhook-secret";
    {
        Database db;
        if (!db.open(path, nullptr))
            return 1;
        EndpointRepository endpoints(db);
        Endpoint hosted;
        hosted.name = QStringLiteral("hostedhooks");
        hosted.path = QStringLiteral("/hooks/hostedhooks");
        hosted.scheme = SignatureScheme::HostedHooks;
        hosted.secrets = {{QStringLiteral("$HOSTEDHOOKS_SECRET"), hostedSecret}};
        Endpoint stripe;
        stripe.name = QStringLiteral("stripe");
        stripe.path = QStringLiteral("/hooks/stripe");
        stripe.scheme = SignatureScheme::Stripe;
        stripe.secrets = {{QStringLiteral("$STRIPE_WEBHOOK_SECRET"), stripeSecret}};
        Endpoint github;
        github.name = QStringLiteral("github");
        github.path = QStringLiteral("/hooks/github");
        github.scheme = SignatureScheme::GitHub;
        github.secrets = {{QStringLiteral("$GITHUB_SECRET"), githubSecret}};
        for (Endpoint *endpoint : {&hosted, &stripe, &github}) {
            if (!endpoints.add(*endpoint, nullptr))
                return 1;
        }
    }
    MainWindow::Options options;
    options.databasePath = path;
    options.port = 0;
    MainWindow window(options);
    window.resize(size);
    window.show();
    if (!waitFor([&] { return window.isReady() && window.listenerPort() != 0; }))
        return 1;
    const quint16 port = window.listenerPort();
    const qint64 now = QDateTime::currentSecsSinceEpoch();
    const QStringList companies{QStringLiteral("Acme Corp"), QStringLiteral("Globex"),
                                QStringLiteral("Initech"), QStringLiteral("Umbrella Health"),
                                QStringLiteral("Stark Logistics")};
    QList<QByteArray> requests;
    for (int i = 0; i < companies.size(); ++i) {
        const QByteArray id = QByteArray::number(4100 + i);
        const QByteArray body =
            R"({"version":"1.0","event_type":"subscriber.created","event_id":"evt_)" + id +
            R"(","created":"2026-11-30T09:1)" + QByteArray::number(i) +
            R"(:00Z","data":{"id":"sub_)" + id + R"(","name":")" + companies.at(i).toUtf8() +
            R"(","email":"ops@)" + companies.at(i).toLower().remove(u' ').toUtf8() +
            R"(.example"}})";
        HeaderList headers;
        headers.append("HostedHooks-Signature",
                       TestSupport::hostedHooksSignature(hostedSecret, now, body));
        requests.append(request("/hooks/hostedhooks", headers, body));
    }
    {
        const QByteArray body =
            R"({"ref":"refs/heads/main","before":"6113728f","after":"59b20b8d",)"
            R"("repository":{"full_name":"acme/billing"},"pusher":{"name":"ana"}})";
        HeaderList headers;
        headers.append("X-GitHub-Event", "push");
        headers.append("X-GitHub-Delivery", "72d3162e-cc78-11e3-81ab-4c9367dc0958");
        headers.append("X-GitHub-Hook-ID", "421337");
        headers.append("X-Hub-Signature-256",
                       "sha256=" + TestSupport::opensslHmacSha256Hex(githubSecret, body));
        requests.append(request("/hooks/github", headers, body));
    }
    const QByteArray invoice = R"({"id":"evt_1QbXr2LkdIwHu7ix","object":"event",)"
                               R"("type":"invoice.paid","api_version":"2024-06-20",)"
                               R"("data":{"object":{"id":"in_1QbXr1","amount_paid":4900}}})";
    {
        HeaderList headers;
        headers.append("Stripe-Signature",
                       "t=" + QByteArray::number(now) + ",v1=" +
                           TestSupport::opensslHmacSha256Hex(stripeSecret, QByteArray::number(now) +
                                                                               '.' + invoice));
        requests.append(request("/hooks/stripe", headers, invoice));
        // The same event through a proxy that added a trailing newline after signing.
        requests.append(request("/hooks/stripe", headers, invoice + '\n'));
    }
    for (const QByteArray &one : requests) {
        if (TestSupport::sendRaw(port, one).status != 200)
            return 1;
    }
    if (!waitFor([&] { return window.deliveryModel()->rowCount() == requests.size(); }))
        return 1;
    // The newest (the failed Stripe delivery) selected: its Overview explains the failure.
    window.deliveryView()->setCurrentIndex(window.deliveryModel()->index(0, 0));
    if (!waitFor([&] { return !window.detailView()->verdictText().isEmpty(); }) ||
        !save(&window, out + QStringLiteral("/window.png")))
        return 1;

    window.showSubscribersWindow();
    SubscribersWindow *subscribers = window.subscribersWindow();
    subscribers->resize(1280, 480);
    if (!waitFor([&] { return subscribers->model()->rowCount() == companies.size(); }) ||
        !save(subscribers, out + QStringLiteral("/subscribers.png")))
        return 1;
    subscribers->close();

    // 3. What HostedHooks sends: a retry of one event whose payload changed (a new field, one
    // gone, a number where a string was), learned and compared with the attempt before it.
    {
        const QByteArray body =
            "{\"version\":\"1.0\",\"event_type\":\"subscriber.created\",\"event_id\":\"evt_"
            "4102\",\"created\":\"2026-11-30T09:12:41Z\",\"data\":{\"id\":4102,\"name\":"
            "\"Initech\",\"plan\":{\"code\":\"pro\",\"seats\":25}}}";
        HeaderList headers;
        headers.append("HostedHooks-Signature",
                       TestSupport::hostedHooksSignature(hostedSecret, now, body));
        if (TestSupport::sendRaw(port, request("/hooks/hostedhooks", headers, body)).status != 200)
            return 1;
    }
    const int all = int(requests.size()) + 1;
    if (!waitFor([&] { return window.deliveryModel()->rowCount() == all; }))
        return 1;
    window.showEventsView();
    EventsView *events = window.eventsView();
    events->resize(1280, 520);
    if (!waitFor([&] {
            return events->selectEventType(QStringLiteral("hostedhooks"),
                                           QStringLiteral("subscriber.created")) &&
                   events->shownSchema().deliveries == qint64(companies.size()) + 1;
        }) ||
        !save(events, out + QStringLiteral("/events.png")))
        return 1;
    events->close();
    // The retry, newest, against the attempt of its event before it.
    window.deliveryView()->clearSelection();
    window.deliveryView()->selectRow(0);
    if (!waitFor([&] { return window.compareAction()->isEnabled(); }))
        return 1;
    window.compareAction()->trigger();
    CompareDialog *compare = window.compareDialog();
    if (!compare)
        return 1;
    compare->resize(1180, 640);
    if (!waitFor([&] { return compare->isLoaded(); }) ||
        !save(compare, out + QStringLiteral("/compare.png")))
        return 1;
    return 0;
}
