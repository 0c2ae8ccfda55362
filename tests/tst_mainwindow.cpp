#include "database.h"
#include "deliverydetailview.h"
#include "deliverylistmodel.h"
#include "elidinglabel.h"
#include "endpointrepository.h"
#include "endpointsdialog.h"
#include "firstrunguide.h"
#include "mainwindow.h"
#include "replaydialog.h"
#include "replayrepository.h"
#include "subscriberrepository.h"
#include "subscriberswindow.h"
#include "testsupport.h"
#include "timelinewidget.h"

#include <QApplication>
#include <QCheckBox>
#include <QComboBox>
#include <QDateTime>
#include <QDialogButtonBox>
#include <QDir>
#include <QFile>
#include <QHeaderView>
#include <QInputDialog>
#include <QItemSelectionModel>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QMenuBar>
#include <QPaintEvent>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QScreen>
#include <QScrollBar>
#include <QSettings>
#include <QSignalSpy>
#include <QSqlQuery>
#include <QStandardPaths>
#include <QStatusBar>
#include <QTabWidget>
#include <QTableView>
#include <QTableWidget>
#include <QTest>
#include <QTimeZone>
#include <QTimer>

using TestSupport::buildRequest;
using TestSupport::sendRaw;

namespace {

const QByteArray Secret = "gui-secret";

QByteArray signedDelivery(const QByteArray &eventId, const QByteArray &secret)
{
    const QByteArray body = R"({"event_type":"subscriber.created","event_id":")" + eventId +
                            R"(","data":{"id":"sub_)" + eventId + R"("}})";
    HeaderList headers;
    headers.append("Content-Type", "application/json");
    headers.append("HostedHooks-Signature", TestSupport::hostedHooksSignature(
                                                secret, QDateTime::currentSecsSinceEpoch(), body));
    return buildRequest("POST", "/hooks/hh", headers, body);
}

} // namespace

class TestMainWindow : public QObject
{
    Q_OBJECT

private:
    QString m_path;
    std::unique_ptr<MainWindow> m_window;

    int rowOf(const QString &eventId)
    {
        DeliveryListModel *model = m_window->deliveryModel();
        for (int row = 0; row < model->rowCount(); ++row) {
            if (model->index(row, DeliveryListModel::EventIdColumn).data().toString() == eventId)
                return row;
        }
        return -1;
    }

    // The window's action with this text (mnemonic included); null if there is none.
    QAction *actionNamed(QStringView text) const
    {
        for (QAction *action : m_window->findChildren<QAction *>()) {
            if (action->text() == text)
                return action;
        }
        return nullptr;
    }

    // Clears the filter and turns following on; returns the Follow newest action.
    QAction *followWithoutFilter()
    {
        m_window->findChild<QLineEdit *>(QStringLiteral("filterEdit"))->clear();
        QAction *follow = actionNamed(u"&Follow newest");
        if (follow)
            follow->setChecked(true);
        return follow;
    }

    // Sends `count` signed deliveries with event ids prefix0, prefix1, … and waits until the
    // last is the list's first row.
    bool arrive(const QByteArray &prefix, int count)
    {
        for (int i = 0; i < count; ++i) {
            if (sendRaw(m_window->listenerPort(),
                        signedDelivery(prefix + QByteArray::number(i), Secret))
                    .status != 200)
                return false;
        }
        const QString newest = QString::fromLatin1(prefix + QByteArray::number(count - 1));
        return QTest::qWaitFor([&] { return rowOf(newest) == 0; });
    }

private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        // What earlier runs remembered (replay targets, columns) must not steer this one.
        QSettings().clear();
        m_path = TestSupport::temporaryPath(QStringLiteral("window.db"));
        Database db;
        QVERIFY(db.open(m_path, nullptr));
        Endpoint endpoint;
        endpoint.name = QStringLiteral("hh");
        endpoint.path = QStringLiteral("/hooks/hh");
        endpoint.scheme = SignatureScheme::HostedHooks;
        endpoint.secrets = {{QStringLiteral("main"), Secret}};
        QVERIFY(EndpointRepository(db).add(endpoint, nullptr));

        MainWindow::Options options;
        options.databasePath = m_path;
        options.port = 0;
        options.busyTimeoutMs = 300;
        m_window = std::make_unique<MainWindow>(options);
        m_window->show();
        QTRY_VERIFY(m_window->isReady());
        QVERIFY(m_window->listenerPort() != 0);
        QVERIFY2(
            m_window->listenerText().contains(QStringLiteral("Listening on http://127.0.0.1:")),
            qPrintable(m_window->listenerText()));
        QVERIFY(m_window->bannerText().isEmpty());
    }

    void cleanupTestCase() { m_window.reset(); }

    void deliveriesAppearLive()
    {
        QCOMPARE(sendRaw(m_window->listenerPort(), signedDelivery("evt_good", Secret)).status, 200);
        QCOMPARE(
            sendRaw(m_window->listenerPort(), signedDelivery("evt_bad", "not-the-secret")).status,
            200);
        QTRY_COMPARE(m_window->deliveryModel()->rowCount(), 2);
        QCOMPARE(
            m_window->deliveryModel()->index(0, DeliveryListModel::EventIdColumn).data().toString(),
            QStringLiteral("evt_bad"));
        QTRY_COMPARE(m_window->timeline()->totalShown(), 2);
    }

    void selectingShowsTheVerdictAndWhy()
    {
        QTableView *view = m_window->deliveryView();
        view->setFocus();
        view->setCurrentIndex(
            m_window->deliveryModel()->index(rowOf(QStringLiteral("evt_bad")), 0));
        QTRY_COMPARE(m_window->detailView()->verdictText(), QStringLiteral("INVALID"));
        QVERIFY2(m_window->detailView()->reasonText().contains(QStringLiteral("does not match")),
                 qPrintable(m_window->detailView()->reasonText()));

        view->setCurrentIndex(
            m_window->deliveryModel()->index(rowOf(QStringLiteral("evt_good")), 0));
        QTRY_COMPARE(m_window->detailView()->verdictText(), QStringLiteral("VALID"));
        auto *headers =
            m_window->detailView()->findChild<QTableWidget *>(QStringLiteral("headersTable"));
        QVERIFY(headers);
        QVERIFY(headers->rowCount() >= 3);
        QCOMPARE(headers->item(0, 0)->text(), QStringLiteral("Host"));
    }

    void keyboardMovesThroughTheList()
    {
        QTableView *view = m_window->deliveryView();
        view->setCurrentIndex(m_window->deliveryModel()->index(0, 0));
        QAction *follow = actionNamed(u"&Follow newest");
        follow->setChecked(true);
        // The oldest is no place to follow the newest from: End pauses following.
        QTest::keyClick(view, Qt::Key_End);
        QCOMPARE(view->currentIndex().row(), m_window->deliveryModel()->rowCount() - 1);
        QVERIFY(!m_window->isFollowingNewest());
        QVERIFY(view->viewport()->rect().intersects(view->visualRect(view->currentIndex())));
        QTest::keyClick(view, Qt::Key_Home);
        QCOMPARE(view->currentIndex().row(), 0);
        QTest::keyClick(view, Qt::Key_Down);
        QCOMPARE(view->currentIndex().row(), 1);
        follow->setChecked(true);
    }

    void filterNarrowsTheList()
    {
        QLineEdit *filter = m_window->filterEdit();
        filter->setText(QStringLiteral("verdict:invalid"));
        QTest::keyClick(filter, Qt::Key_Return);
        QTRY_COMPARE(m_window->deliveryModel()->rowCount(), 1);
        QCOMPARE(
            m_window->deliveryModel()->index(0, DeliveryListModel::EventIdColumn).data().toString(),
            QStringLiteral("evt_bad"));

        // A new delivery that does not match stays out; one that does comes in.
        QCOMPARE(sendRaw(m_window->listenerPort(), signedDelivery("evt_good2", Secret)).status,
                 200);
        QCOMPARE(sendRaw(m_window->listenerPort(), signedDelivery("evt_bad2", "wrong")).status,
                 200);
        QTRY_COMPARE(m_window->deliveryModel()->rowCount(), 2);
        QCOMPARE(
            m_window->deliveryModel()->index(0, DeliveryListModel::EventIdColumn).data().toString(),
            QStringLiteral("evt_bad2"));

        filter->setText(QStringLiteral("sub_evt_good"));
        QTest::keyClick(filter, Qt::Key_Return);
        QTRY_COMPARE(m_window->deliveryModel()->rowCount(), 2);
        filter->clear();
        QTest::keyClick(filter, Qt::Key_Return);
        QTRY_COMPARE(m_window->deliveryModel()->rowCount(), 4);
    }

    void endpointDialogSavesAnEndpoint()
    {
        m_window->showEndpointsDialog();
        EndpointsDialog *dialog = m_window->endpointsDialog();
        QVERIFY(dialog);
        QTRY_VERIFY(dialog->isVisible());
        auto *newButton = dialog->findChild<QPushButton *>();
        for (QPushButton *button : dialog->findChildren<QPushButton *>()) {
            if (button->text() == u"&New")
                newButton = button;
        }
        QTest::mouseClick(newButton, Qt::LeftButton);
        dialog->findChild<QLineEdit *>(QStringLiteral("nameEdit"))
            ->setText(QStringLiteral("github"));
        dialog->findChild<QLineEdit *>(QStringLiteral("pathEdit"))
            ->setText(QStringLiteral("/hooks/github"));
        dialog->findChild<QComboBox *>(QStringLiteral("schemeCombo"))
            ->setCurrentText(QStringLiteral("github"));
        auto *secrets = dialog->findChild<QTableWidget *>(QStringLiteral("secretsTable"));
        QCOMPARE(secrets->rowCount(), 1);
        auto *secretEdit = qobject_cast<QLineEdit *>(secrets->cellWidget(0, 1));
        QVERIFY(secretEdit);
        QCOMPARE(secretEdit->echoMode(), QLineEdit::Password);
        secretEdit->setText(QStringLiteral("It's a Secret to Everybody"));
        auto *buttons = dialog->findChild<QDialogButtonBox *>();
        QTest::mouseClick(buttons->button(QDialogButtonBox::Save), Qt::LeftButton);
        QTRY_VERIFY2(dialog->statusText().contains(QStringLiteral("Saved")),
                     qPrintable(dialog->statusText()));

        Database db;
        QVERIFY(db.open(m_path, nullptr));
        const auto saved = EndpointRepository(db).find(QStringLiteral("github"), nullptr);
        QVERIFY(saved.has_value());
        QCOMPARE(saved->path, QStringLiteral("/hooks/github"));
        QCOMPARE(saved->scheme, SignatureScheme::GitHub);
        QCOMPARE(saved->secrets.size(), 1);
        QCOMPARE(saved->secrets.constFirst().value, QByteArray("It's a Secret to Everybody"));

        // The listener takes the new endpoint: a GitHub delivery now verifies.
        const QByteArray body = "Hello, World!";
        HeaderList headers;
        headers.append("X-Hub-Signature-256",
                       "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17");
        QTRY_COMPARE_WITH_TIMEOUT(
            sendRaw(m_window->listenerPort(), buildRequest("POST", "/hooks/github", headers, body))
                .status,
            200, 10000);
        QTRY_VERIFY(rowOf(QString()) >= 0 || m_window->deliveryModel()->rowCount() >= 5);

        // "Saved" stays until the next edit, though the list of endpoints reloads meanwhile.
        QTest::qWait(1000);
        QVERIFY2(dialog->statusText().contains(QStringLiteral("Saved")),
                 qPrintable(dialog->statusText()));
        // The tests keep secrets in the database on purpose: no note about a missing keychain.
        const QString note =
            dialog->findChild<QLabel *>(QStringLiteral("secretStorageLabel"))->text();
        QVERIFY2(note.contains(QStringLiteral("HOOKSCOPE_SECRET_STORAGE=database")),
                 qPrintable(note));

        // A second endpoint on the same path is refused.
        QTest::mouseClick(newButton, Qt::LeftButton);
        QVERIFY(dialog->statusText().startsWith(QStringLiteral("A new endpoint")));
        dialog->findChild<QLineEdit *>(QStringLiteral("nameEdit"))
            ->setText(QStringLiteral("github-copy"));
        dialog->findChild<QLineEdit *>(QStringLiteral("pathEdit"))
            ->setText(QStringLiteral("/hooks/github/"));
        QTest::mouseClick(buttons->button(QDialogButtonBox::Save), Qt::LeftButton);
        QTRY_VERIFY2(dialog->statusText().contains(QStringLiteral("belongs to endpoint")),
                     qPrintable(dialog->statusText()));

        // Small, the form scrolls; the status line and the buttons never overlap it or each
        // other, and the secrets table keeps room for its rows.
        dialog->resize(700, 560);
        QTRY_COMPARE(dialog->size(), QSize(700, 560));
        auto *status = dialog->findChild<QLabel *>(QStringLiteral("statusLabel"));
        auto *scroll = dialog->findChild<QWidget *>(QStringLiteral("endpointFormScroll"));
        QVERIFY(!status->geometry().intersects(buttons->geometry()));
        QVERIFY(!scroll->geometry().intersects(status->geometry()));
        QVERIFY(!scroll->geometry().intersects(buttons->geometry()));
        QVERIFY(secrets->height() >= secrets->minimumHeight());
        QVERIFY(secrets->minimumHeight() >= 4 * secrets->fontMetrics().height());
        for (const QPushButton *button : dialog->findChildren<QPushButton *>()) {
            if (button->isVisible() && !scroll->isAncestorOf(button))
                QVERIFY2(button->width() >= button->sizeHint().width(), qPrintable(button->text()));
        }
        dialog->close();
    }

    void sampleAndReplay()
    {
        m_window->sendSample(QStringLiteral("subscriber.created"), QStringLiteral("hh"));
        auto sampleRow = [this] {
            DeliveryListModel *model = m_window->deliveryModel();
            for (int row = 0; row < model->rowCount(); ++row) {
                if (model->index(row, DeliveryListModel::EventIdColumn)
                        .data()
                        .toString()
                        .startsWith(u"evt_sample_"))
                    return row;
            }
            return -1;
        };
        QTRY_VERIFY(sampleRow() >= 0);
        QCOMPARE(m_window->deliveryModel()
                     ->index(sampleRow(), DeliveryListModel::VerdictColumn)
                     .data()
                     .toString(),
                 QStringLiteral("valid"));
        QCOMPARE(m_window->deliveryModel()
                     ->index(sampleRow(), DeliveryListModel::EventTypeColumn)
                     .data()
                     .toString(),
                 QStringLiteral("subscriber.created (sample)"));

        m_window->deliveryView()->setCurrentIndex(
            m_window->deliveryModel()->index(rowOf(QStringLiteral("evt_bad")), 0));
        QTRY_COMPARE(m_window->detailView()->verdictText(), QStringLiteral("INVALID"));
        const qint64 original = m_window->detailView()->deliveryId();
        m_window->showReplayDialog();
        ReplayDialog *dialog = m_window->replayDialog();
        QVERIFY(dialog);
        auto *resign = dialog->findChild<QCheckBox *>(QStringLiteral("replayResign"));
        QVERIFY(resign->isEnabled());
        resign->setChecked(true);
        const QString oldSignature = QString::fromLatin1(
            m_window->detailView()->details().delivery.headers.value("HostedHooks-Signature"));
        dialog->send();
        QTRY_VERIFY2(dialog->resultText().startsWith(QStringLiteral("Answered 200")),
                     qPrintable(dialog->resultText()));
        // The headers box and the answer pane show what was sent, the new signature in place
        // of the old, and the whole answer with its headers.
        auto *headersBox = dialog->findChildren<QPlainTextEdit *>().constFirst();
        QVERIFY(!headersBox->toPlainText().contains(oldSignature));
        QVERIFY(headersBox->toPlainText().contains(QStringLiteral("HostedHooks-Signature: t=")));
        QVERIFY2(
            dialog->answerText().contains(QStringLiteral("Answer: HTTP 200")) &&
                dialog->answerText().contains(QStringLiteral("Content-Type:"), Qt::CaseInsensitive),
            qPrintable(dialog->answerText()));
        // Re-signed with the endpoint's secret, the replay verifies.
        QTRY_COMPARE(
            m_window->deliveryModel()->index(0, DeliveryListModel::EventIdColumn).data().toString(),
            QStringLiteral("evt_bad"));
        QCOMPARE(
            m_window->deliveryModel()->index(0, DeliveryListModel::VerdictColumn).data().toString(),
            QStringLiteral("valid"));
        Database db;
        QVERIFY(db.open(m_path, nullptr));
        QTRY_COMPARE(ReplayRepository(db).ofDelivery(original, nullptr)->size(), 1);
        const QString usedUrl = dialog->urlText();
        dialog->close();
        // The next replay of the endpoint's deliveries starts from the URL and choice used.
        m_window->showReplayDialog();
        QCOMPARE(m_window->replayDialog()->urlText(), usedUrl);
        QVERIFY(m_window->replayDialog()
                    ->findChild<QCheckBox *>(QStringLiteral("replayResign"))
                    ->isChecked());
        m_window->replayDialog()->close();
        dialog = nullptr;
        // Without a URL used before, an endpoint that forwards to the app replays to the app.
        Endpoint forwarding;
        forwarding.name = QStringLiteral("fw-%1").arg(QDateTime::currentMSecsSinceEpoch());
        forwarding.forwardUrl = QStringLiteral("http://localhost:3000/hooks");
        QCOMPARE(ReplayDialog::defaultUrl(&forwarding, QStringLiteral("/in"),
                                          QStringLiteral("http://127.0.0.1:8484")),
                 QStringLiteral("http://localhost:3000/hooks"));

        // A selection of deliveries, re-signed: each verifies, each replay is kept.
        QTableView *view = m_window->deliveryView();
        view->clearSelection();
        const int good = rowOf(QStringLiteral("evt_good"));
        view->selectionModel()->select(m_window->deliveryModel()->index(good, 0),
                                       QItemSelectionModel::Select | QItemSelectionModel::Rows);
        view->selectionModel()->select(
            m_window->deliveryModel()->index(rowOf(QStringLiteral("evt_bad2")), 0),
            QItemSelectionModel::Select | QItemSelectionModel::Rows);
        const qint64 goodId =
            m_window->deliveryModel()->index(good, 0).data(DeliveryListModel::IdRole).toLongLong();
        const int rowsBefore = m_window->deliveryModel()->rowCount();
        // Bulk replay asks where to and confirms the count before sending anything.
        QString asked;
        QTimer::singleShot(0, this, [this, &asked] {
            auto *question = qobject_cast<QInputDialog *>(QApplication::activeModalWidget());
            QVERIFY(question);
            asked = question->labelText();
            question->setTextValue(
                QStringLiteral("http://127.0.0.1:%1/").arg(m_window->listenerPort()));
            question->accept();
        });
        m_window->replaySelection(true);
        QVERIFY2(asked.contains(QStringLiteral("Replay 2 deliveries, re-signed")),
                 qPrintable(asked));
        QTRY_COMPARE(m_window->deliveryModel()->rowCount(), rowsBefore + 2);
        QTRY_COMPARE(ReplayRepository(db).ofDelivery(goodId, nullptr)->size(), 1);
        QCOMPARE(ReplayRepository(db).ofDelivery(goodId, nullptr)->constFirst().status, 200);
        QCOMPARE(
            m_window->deliveryModel()->index(0, DeliveryListModel::VerdictColumn).data().toString(),
            QStringLiteral("valid"));
        QCOMPARE(
            m_window->deliveryModel()->index(1, DeliveryListModel::VerdictColumn).data().toString(),
            QStringLiteral("valid"));
    }

    void showsTheNgrokPublicUrl()
    {
        TestSupport::FakeHttpServer agent;
        const QByteArray tunnels =
            "{\"tunnels\":[{\"name\":\"t\",\"public_url\":\"https://hooks.ngrok-free.app\","
            "\"config\":{\"addr\":\"http://localhost:" +
            QByteArray::number(m_window->listenerPort()) + "\"}}]}";
        agent.setResponse("/api/tunnels", 200, tunnels);
        m_window->setNgrokApi(QUrl(QStringLiteral("http://127.0.0.1:%1").arg(agent.port())));
        QTRY_COMPARE(m_window->ngrokText(), QStringLiteral("Public: https://hooks.ngrok-free.app"));
        QCOMPARE(m_window->publicUrl(), QStringLiteral("https://hooks.ngrok-free.app"));
        agent.setResponse("/api/tunnels", 200, "{\"tunnels\":[]}");
        m_window->setNgrokApi(QUrl(QStringLiteral("http://127.0.0.1:%1").arg(agent.port())));
        QTRY_VERIFY(m_window->ngrokText().contains(
            QStringLiteral("ngrok http %1").arg(m_window->listenerPort())));
    }

    void storageFaultsShowABannerAndClear()
    {
        Database other;
        QVERIFY(other.open(m_path, nullptr));
        QSqlQuery lock(other.connection());
        QVERIFY(lock.exec(QStringLiteral("BEGIN IMMEDIATE")));
        QCOMPARE(sendRaw(m_window->listenerPort(), signedDelivery("evt_locked", Secret)).status,
                 503);
        QTRY_VERIFY2(m_window->bannerText().contains(QStringLiteral("Cannot write the database")),
                     qPrintable(m_window->bannerText()));
        QVERIFY(m_window->bannerText().contains(QStringLiteral("503")));
        QVERIFY(lock.exec(QStringLiteral("ROLLBACK")));
        QCOMPARE(sendRaw(m_window->listenerPort(), signedDelivery("evt_unlocked", Secret)).status,
                 200);
        QTRY_VERIFY(m_window->bannerText().isEmpty());
    }

    void payloadTextIsNeverRichText()
    {
        const QByteArray body =
            R"({"event_type":"<b>bold</b>","event_id":"evt_html","data":{"id":"<img src=x>"}})";
        QCOMPARE(
            sendRaw(m_window->listenerPort(), buildRequest("POST", "/hooks/hh", {}, body)).status,
            200);
        int row = -1;
        QTRY_VERIFY((row = rowOf(QStringLiteral("evt_html"))) >= 0);
        m_window->deliveryView()->setCurrentIndex(m_window->deliveryModel()->index(row, 0));
        QTRY_COMPARE(m_window->detailView()->verdictText(), QStringLiteral("MISSING"));
        const QList<QLabel *> labels = m_window->detailView()->findChildren<QLabel *>();
        for (QLabel *label : labels)
            QCOMPARE(label->textFormat(), Qt::PlainText);
    }

    // Last: it leaves the window on a new, empty database.
    // GitHub names the event in its headers: the list shows it, and the Overview says where
    // each value came from. No endpoint covers the path: the headers name the provider.
    void providerEventsShowWhereTheyCameFrom()
    {
        HeaderList headers;
        headers.append("Content-Type", "application/json");
        headers.append("X-GitHub-Event", "push");
        headers.append("X-GitHub-Delivery", "72d3162e-cc78-11e3-81ab-4c9367dc0958");
        headers.append("X-GitHub-Hook-ID", "42");
        QCOMPARE(sendRaw(m_window->listenerPort(),
                         buildRequest("POST", "/github", headers, R"({"ref":"main","id":5})"))
                     .status,
                 404);
        QTRY_VERIFY(rowOf(QStringLiteral("72d3162e-cc78-11e3-81ab-4c9367dc0958")) >= 0);
        const int row = rowOf(QStringLiteral("72d3162e-cc78-11e3-81ab-4c9367dc0958"));
        QCOMPARE(m_window->deliveryModel()
                     ->index(row, DeliveryListModel::EventTypeColumn)
                     .data()
                     .toString(),
                 QStringLiteral("push"));
        m_window->deliveryView()->setCurrentIndex(m_window->deliveryModel()->index(row, 0));
        QTRY_VERIFY2(m_window->detailView()->eventText().contains(
                         QStringLiteral("push (header X-GitHub-Event)")),
                     qPrintable(m_window->detailView()->eventText()));
        QVERIFY2(m_window->detailView()->eventText().contains(
                     QStringLiteral("(header X-GitHub-Delivery)")),
                 qPrintable(m_window->detailView()->eventText()));
        QCOMPARE(m_window->detailView()->providerText(), QStringLiteral("github: hook id 42"));
    }

    // Time, verdict, event and endpoint are what users scan: whole on screen at every common
    // size, with the detail pane beside them.
    void theColumnsUsersScanAreVisible_data()
    {
        QTest::addColumn<QSize>("size");
        QTest::newRow("1024x700") << QSize(1024, 700);
        QTest::newRow("1280x800") << QSize(1280, 800);
        QTest::newRow("1600x1000") << QSize(1600, 1000);
    }

    void theColumnsUsersScanAreVisible()
    {
        QFETCH(QSize, size);
        m_window->resize(size);
        QTRY_COMPARE(m_window->size(), size);
        QTableView *view = m_window->deliveryView();
        QHeaderView *header = view->horizontalHeader();
        for (const int column :
             {DeliveryListModel::TimeColumn, DeliveryListModel::VerdictColumn,
              DeliveryListModel::EventTypeColumn, DeliveryListModel::EndpointColumn}) {
            QVERIFY(!header->isSectionHidden(column));
            const int left = header->sectionViewportPosition(column);
            QVERIFY2(left >= 0 && left + header->sectionSize(column) <= view->viewport()->width(),
                     qPrintable(QStringLiteral("column %1 at %2+%3 in %4")
                                    .arg(column)
                                    .arg(left)
                                    .arg(header->sectionSize(column))
                                    .arg(view->viewport()->width())));
        }
        QCOMPARE(header->visualIndex(DeliveryListModel::EventTypeColumn), 2);
        // The time is never cut.
        const QString time =
            m_window->deliveryModel()->index(0, DeliveryListModel::TimeColumn).data().toString();
        QVERIFY(header->sectionSize(DeliveryListModel::TimeColumn) >
                view->fontMetrics().horizontalAdvance(time) + 8);

        // Nothing in the window or the Overview is cut without a sign: every label that does
        // not wrap or elide gets the width it asks for, and so does every button.
        QVERIFY(m_window->minimumSizeHint().width() <= 1024);
        m_window->deliveryView()->setCurrentIndex(m_window->deliveryModel()->index(0, 0));
        QTRY_VERIFY(!m_window->detailView()->verdictText().isEmpty());
        for (const QLabel *label : m_window->findChildren<QLabel *>()) {
            if (!label->isVisible() || label->wordWrap() ||
                qobject_cast<const ElidingLabel *>(label))
                continue;
            QVERIFY2(label->width() >= label->sizeHint().width(), qPrintable(label->text()));
        }
        for (const QPushButton *button : m_window->findChildren<QPushButton *>()) {
            if (button->isVisible())
                QVERIFY2(button->width() >= button->sizeHint().width(), qPrintable(button->text()));
        }
    }

    // The hex view never cuts off its ASCII column: eight bytes a line when the pane is too
    // narrow for sixteen.
    void hexViewFitsThePane_data() { theColumnsUsersScanAreVisible_data(); }

    void hexViewFitsThePane()
    {
        QFETCH(QSize, size);
        m_window->resize(size);
        QTRY_COMPARE(m_window->size(), size);
        m_window->deliveryView()->setCurrentIndex(m_window->deliveryModel()->index(0, 0));
        QTRY_VERIFY(!m_window->detailView()->verdictText().isEmpty());
        DeliveryDetailView *details = m_window->detailView();
        details->setCurrentIndex(2);
        auto *mode = details->findChild<QComboBox *>(QStringLiteral("bodyMode"));
        mode->setCurrentIndex(2);
        auto *body = details->findChild<QPlainTextEdit *>(QStringLiteral("bodyText"));
        QTRY_VERIFY(!details->bodyText().isEmpty());
        const QFontMetrics metrics(body->font());
        for (const QString &line : details->bodyText().split(u'\n', Qt::SkipEmptyParts))
            QVERIFY2(metrics.horizontalAdvance(line) <= body->viewport()->width(),
                     qPrintable(line));
        mode->setCurrentIndex(0);
        details->setCurrentIndex(0);
    }

    void theHeaderMenuHidesAndShowsColumns()
    {
        QHeaderView *header = m_window->deliveryView()->horizontalHeader();
        std::unique_ptr<QMenu> menu(m_window->columnMenu());
        QAction *path = nullptr;
        for (QAction *action : menu->actions()) {
            if (action->text() == u"Path")
                path = action;
        }
        QVERIFY(path && path->isChecked());
        path->trigger();
        QVERIFY(header->isSectionHidden(DeliveryListModel::PathColumn));
        std::unique_ptr<QMenu> again(m_window->columnMenu());
        for (QAction *action : again->actions()) {
            if (action->text() == u"Path") {
                QVERIFY(!action->isChecked());
                action->trigger();
            }
        }
        QVERIFY(!header->isSectionHidden(DeliveryListModel::PathColumn));
    }

    void tabLeavesTheListAndMnemonicsDoNotClash()
    {
        m_window->activateWindow();
        QTableView *view = m_window->deliveryView();
        view->setFocus();
        QTRY_VERIFY(view->hasFocus());
        QTest::keyClick(view, Qt::Key_Tab);
        QTRY_VERIFY(!view->hasFocus());

        QSet<QChar> menuKeys;
        for (QAction *action : m_window->menuBar()->actions()) {
            const qsizetype amp = action->text().indexOf(u'&');
            QVERIFY(amp >= 0);
            menuKeys.insert(action->text().at(amp + 1).toLower());
        }
        QTabWidget *details = m_window->detailView();
        for (int tab = 0; tab < details->count(); ++tab) {
            const QString text = details->tabText(tab);
            const qsizetype amp = text.indexOf(u'&');
            QVERIFY(amp >= 0);
            QVERIFY2(!menuKeys.contains(text.at(amp + 1).toLower()), qPrintable(text));
        }
        const auto shortcuts = m_window->keyboardShortcuts();
        const bool listed = std::any_of(shortcuts.cbegin(), shortcuts.cend(), [](const auto &row) {
            return row.first == u"Edit → Replay…" && row.second == u"Ctrl+R";
        });
        QVERIFY(listed);
    }

    // A new user's first launch: the empty list says what to do, and following only what it
    // says leads to a verified delivery.
    void firstLaunchGuidesToAVerifiedDelivery()
    {
        MainWindow::Options options;
        options.databasePath = TestSupport::temporaryPath(QStringLiteral("first-run.db"));
        options.port = 0;
        MainWindow window(options);
        window.resize(1280, 800);
        window.show();
        QTRY_VERIFY(window.isReady());
        QTRY_VERIFY(window.showsFirstRunGuide());
        FirstRunGuide *guide = window.firstRunGuide();
        auto button = [guide](const QString &text) -> QPushButton * {
            for (QPushButton *b : guide->findChildren<QPushButton *>()) {
                if (b->text().remove(u'&') == text)
                    return b;
            }
            return nullptr;
        };
        QVERIFY(guide->stepTexts().at(0).startsWith(QStringLiteral("Add an endpoint")));
        QVERIFY(button(QStringLiteral("Send a sample")) &&
                !button(QStringLiteral("Send a sample"))->isEnabled());

        QTest::mouseClick(button(QStringLiteral("Add endpoint…")), Qt::LeftButton);
        EndpointsDialog *dialog = window.endpointsDialog();
        QVERIFY(dialog);
        QTRY_VERIFY(dialog->isVisible());
        dialog->findChild<QLineEdit *>(QStringLiteral("nameEdit"))->setText(QStringLiteral("hh"));
        dialog->findChild<QLineEdit *>(QStringLiteral("pathEdit"))
            ->setText(QStringLiteral("/hooks/hostedhooks"));
        auto *secrets = dialog->findChild<QTableWidget *>(QStringLiteral("secretsTable"));
        qobject_cast<QLineEdit *>(secrets->cellWidget(0, 1))->setText(QStringLiteral("s3cret"));
        QTest::mouseClick(dialog->findChild<QDialogButtonBox *>()->button(QDialogButtonBox::Save),
                          Qt::LeftButton);
        QTRY_VERIFY2(guide->stepTexts().at(0).startsWith(QStringLiteral("Endpoint \"hh\"")),
                     qPrintable(guide->stepTexts().at(0)));
        dialog->close();
        const QString port = QString::number(window.listenerPort());
        QVERIFY2(guide->stepTexts().at(1).contains(QStringLiteral("ngrok http ") + port),
                 qPrintable(guide->stepTexts().at(1)));
        QCOMPARE(guide->senderUrl(),
                 QStringLiteral("http://127.0.0.1:%1/hooks/hostedhooks").arg(port));

        QPushButton *sample = button(QStringLiteral("Send a sample"));
        QVERIFY(sample->isEnabled());
        QTest::mouseClick(sample, Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(!window.showsFirstRunGuide(), 10000);
        QTRY_COMPARE(window.deliveryModel()->rowCount(), 1);
        QCOMPARE(
            window.deliveryModel()->index(0, DeliveryListModel::VerdictColumn).data().toString(),
            QStringLiteral("valid"));
        QTRY_COMPARE(window.countText(), QStringLiteral("1 delivery"));

        // A second window on the same file and port: it says the port is taken and offers a
        // free one; the two titles tell the windows apart.
        MainWindow::Options same = options;
        same.port = window.listenerPort();
        MainWindow second(same);
        second.show();
        QTRY_VERIFY(second.isReady());
        QVERIFY2(second.listenerText().contains(QStringLiteral("is in use")),
                 qPrintable(second.listenerText()));
        QCOMPARE(second.listenerButton()->text(), QStringLiteral("Start on a free port"));
        const QPoint buttonAt = second.listenerButton()->mapTo(&second, QPoint(0, 0));
        QTest::mouseClick(second.listenerButton(), Qt::LeftButton);
        QTRY_VERIFY(second.listenerPort() != 0);
        QVERIFY(second.listenerPort() != window.listenerPort());
        QVERIFY(second.windowTitle() != window.windowTitle());
        QVERIFY2(second.windowTitle().contains(QString::number(second.listenerPort())),
                 qPrintable(second.windowTitle()));
        // The button stays where it was while the status beside it changes.
        QCOMPARE(second.listenerButton()->mapTo(&second, QPoint(0, 0)), buttonAt);

        // Without a tunnel, copying its URL says why instead of doing nothing.
        QAction *copyPublic = nullptr;
        for (QAction *action : second.findChildren<QAction *>()) {
            if (action->text() == u"Copy the ngrok &public URL")
                copyPublic = action;
        }
        QVERIFY(copyPublic);
        copyPublic->trigger();
        QVERIFY2(second.statusBar()->currentMessage().contains(QStringLiteral("No ngrok tunnel")),
                 qPrintable(second.statusBar()->currentMessage()));
    }

    // A quiet minute beside a busy one stays visible, and one failure in five is a fifth of
    // its bar, not the whole of it.
    void timelineBarsShowShares()
    {
        const auto [quiet, quietFailed] = TimelineWidget::barHeights(5, 1, 1000, 44);
        QVERIFY2(quiet >= 44 / 4, qPrintable(QString::number(quiet)));
        QVERIFY(quietFailed >= 1 && quietFailed < quiet);
        const auto [busy, busyFailed] = TimelineWidget::barHeights(1000, 0, 1000, 44);
        QCOMPARE(busy, 44);
        QCOMPARE(busyFailed, 0);
        const auto [allFailed, allFailedRed] = TimelineWidget::barHeights(3, 3, 1000, 44);
        QCOMPARE(allFailedRed, allFailed);
    }

    // Arrivals repaint the timeline at most every RepaintIntervalMs and then only the bars that
    // changed; what the partial repaints leave on screen is what a whole repaint draws.
    void timelineRepaintsOnlyTheBarsThatChanged()
    {
        qint64 now =
            QDateTime(QDate(2026, 3, 2), QTime(12, 30, 10), QTimeZone::utc()).toMSecsSinceEpoch();
        const qint64 minute = now / 60000 * 60000;
        TimelineWidget timeline;
        timeline.setClock([&] { return now; });
        timeline.setCounts(
            {{minute - 50 * 60000, 900, 12}, {minute - 20 * 60000, 40, 0}, {minute - 60000, 7, 7}});
        timeline.resize(800, 64);
        timeline.show();
        QVERIFY(QTest::qWaitForWindowExposed(&timeline));

        struct PaintCount : QObject
        {
            int paints = 0;
            qint64 pixels = 0;
            bool eventFilter(QObject *, QEvent *event) override
            {
                if (event->type() == QEvent::Paint) {
                    ++paints;
                    for (const QRect &rect : static_cast<QPaintEvent *>(event)->region())
                        pixels += qint64(rect.width()) * rect.height();
                }
                return false;
            }
        } count;
        timeline.installEventFilter(&count);
        auto countIn = [&](int deliveries, int failedEvery) {
            for (int i = 0; i < deliveries; ++i) {
                DeliverySummary delivery;
                delivery.receivedAtMs = now;
                delivery.verdict =
                    failedEvery && i % failedEvery == 0 ? Verdict::Invalid : Verdict::Valid;
                timeline.addDeliveries({delivery});
            }
        };
        auto settle = [&] {
            QTest::qWait(TimelineWidget::RepaintIntervalMs * 3);
            QCoreApplication::processEvents();
        };
        auto onScreenMatchesAWholeRepaint = [&] {
            const QImage shown = timeline.screen()
                                     ->grabWindow(timeline.winId())
                                     .toImage()
                                     .convertToFormat(QImage::Format_RGB32);
            const QImage whole = timeline.grab().toImage().convertToFormat(QImage::Format_RGB32);
            return shown.size() == whole.size() && shown == whole;
        };
        settle();
        count.paints = 0;
        count.pixels = 0;

        // Fifty arrivals one by one within the current minute: one repaint, of its bar.
        countIn(50, 7);
        QCOMPARE(timeline.totalShown(), 900 + 40 + 7 + 50);
        settle();
        QCOMPARE(count.paints, 1);
        QVERIFY2(count.pixels < 64 * 40, qPrintable(QString::number(count.pixels)));
        QVERIFY(onScreenMatchesAWholeRepaint());

        // A new peak rescales the other bars: they repaint too.
        count.paints = 0;
        count.pixels = 0;
        countIn(5000, 0);
        settle();
        QCOMPARE(count.paints, 1);
        QVERIFY(count.pixels > 64 * 40);
        QVERIFY(onScreenMatchesAWholeRepaint());

        // The minute turns: every bar moves one slot.
        now += 60000;
        countIn(1, 0);
        settle();
        QVERIFY(count.pixels >= 800 * 64);
        QVERIFY(onScreenMatchesAWholeRepaint());

        // Nothing changed, nothing repaints.
        count.paints = 0;
        timeline.addDeliveries({});
        settle();
        QCOMPARE(count.paints, 0);
    }

    void clickingARowPausesFollowing()
    {
        QTableView *view = m_window->deliveryView();
        QVERIFY(m_window->deliveryModel()->rowCount() > 0);
        QVERIFY(m_window->isFollowingNewest());
        const QRect first = view->visualRect(m_window->deliveryModel()->index(0, 0));
        QTest::mouseClick(view->viewport(), Qt::LeftButton, {}, first.center());
        QVERIFY(!m_window->isFollowingNewest());
    }

    // While rows arrive: following keeps the newest in view; a clicked row pauses it and then
    // stays selected and where it is on screen, however many arrive above it.
    void rowsArrivingKeepFollowAndSelection()
    {
        QTableView *view = m_window->deliveryView();
        m_window->findChild<QLineEdit *>(QStringLiteral("filterEdit"))->clear();
        QTRY_VERIFY(m_window->deliveryModel()->rowCount() > 0);
        QAction *follow = actionNamed(u"&Follow newest");
        QVERIFY(follow);
        follow->setChecked(true);
        QVERIFY(arrive("evt_flow_a", 40));
        QTRY_COMPARE(view->verticalScrollBar()->value(), 0);

        const QModelIndex picked = m_window->deliveryModel()->index(3, 0);
        const qint64 pickedId = picked.data(DeliveryListModel::IdRole).toLongLong();
        QTest::mouseClick(view->viewport(), Qt::LeftButton, {}, view->visualRect(picked).center());
        QVERIFY(!m_window->isFollowingNewest());
        const QRect before = view->visualRect(view->currentIndex());
        QVERIFY(arrive("evt_flow_b", 40));
        QCOMPARE(view->currentIndex().data(DeliveryListModel::IdRole).toLongLong(), pickedId);
        QTRY_COMPARE(view->visualRect(view->currentIndex()), before);
        follow->setChecked(true);
    }

    // Following resumed right after a click stays on the newest: the view's delayed scroll to
    // the clicked row (it waits out a double-click) does not take the list away from the top,
    // and moving through the list with the keys pauses following like a click does.
    void followingResumedAfterAClickStaysOnTheNewest()
    {
        QTableView *view = m_window->deliveryView();
        QAction *follow = followWithoutFilter();
        QVERIFY(follow);
        const int rowsOnScreen =
            view->viewport()->height() / view->verticalHeader()->defaultSectionSize();
        QVERIFY(arrive("evt_resume_a", rowsOnScreen + 5));

        QTest::mouseClick(view->viewport(), Qt::LeftButton, {},
                          view->visualRect(m_window->deliveryModel()->index(0, 0)).center());
        QVERIFY(!m_window->isFollowingNewest());
        follow->setChecked(true);
        // More than a screenful arrives above the clicked row before the double-click
        // interval is over.
        QVERIFY(arrive("evt_resume_b", rowsOnScreen + 5));
        QTest::qWait(QApplication::doubleClickInterval() + 300);
        QCOMPARE(view->verticalScrollBar()->value(), 0);
        QCOMPARE(rowOf(QStringLiteral("evt_resume_b%1").arg(rowsOnScreen + 4)), 0);

        // Down moves the current row and pauses following.
        view->setFocus();
        QTest::keyClick(view, Qt::Key_Down);
        QVERIFY(!m_window->isFollowingNewest());
        follow->setChecked(true);
    }

    // Arrivals move the rows already painted instead of painting them again; what is on
    // screen after each batch, following or not, odd batches and even, is what painting the
    // whole list afresh draws.
    void arrivingRowsOnScreenMatchAFreshPaint()
    {
        QTableView *view = m_window->deliveryView();
        QAction *follow = followWithoutFilter();
        QVERIFY(follow);
        QWidget *viewport = view->viewport();
        auto settle = [] {
            QTest::qWait(DeliveryListModel::FlushIntervalMs * 2);
            QCoreApplication::processEvents();
        };
        // (Grabbing paints the viewport afresh: count painted pixels before.)
        // The viewport and the vertical scroll bar as on screen, against each painted afresh;
        // and the scroll bar's range as QTableView would set it.
        auto onScreenMatchesAFreshPaint = [&](const char *when) {
            settle();
            const QImage window = m_window->screen()
                                      ->grabWindow(m_window->winId())
                                      .toImage()
                                      .convertToFormat(QImage::Format_RGB32);
            for (QWidget *widget : {viewport, static_cast<QWidget *>(view->verticalScrollBar())}) {
                if (!widget->isVisible())
                    continue;
                const QImage shown =
                    window.copy(QRect(widget->mapTo(m_window.get(), QPoint(0, 0)), widget->size()));
                const QImage fresh = widget->grab().toImage().convertToFormat(QImage::Format_RGB32);
                if (shown == fresh)
                    continue;
                shown.save(QDir::temp().filePath(QStringLiteral("hookscope-shown.png")));
                fresh.save(QDir::temp().filePath(QStringLiteral("hookscope-fresh.png")));
                qWarning("%s, %d rows: %s on screen differs from a fresh paint (both saved in "
                         "%s)",
                         when, m_window->deliveryModel()->rowCount(),
                         widget->metaObject()->className(), qPrintable(QDir::tempPath()));
                return false;
            }
            const int rows = m_window->deliveryModel()->rowCount();
            const int fit = viewport->height() / view->verticalHeader()->defaultSectionSize();
            if (rows > fit && (view->verticalScrollBar()->maximum() != rows - fit ||
                               view->verticalScrollBar()->pageStep() != fit)) {
                qWarning("%s: scroll range %d, page %d for %d rows, %d on screen", when,
                         view->verticalScrollBar()->maximum(),
                         view->verticalScrollBar()->pageStep(), rows, fit);
                return false;
            }
            return true;
        };
        int batches = 0;
        auto arriveBatch = [&](int count) {
            return arrive("evt_paint_" + QByteArray::number(batches++) + "_", count);
        };
        struct PaintedPixels : QObject
        {
            qint64 pixels = 0;
            bool eventFilter(QObject *, QEvent *event) override
            {
                if (event->type() == QEvent::Paint) {
                    for (const QRect &rect : static_cast<QPaintEvent *>(event)->region())
                        pixels += qint64(rect.width()) * rect.height();
                }
                return false;
            }
        } painted;
        viewport->installEventFilter(&painted);
        QVERIFY(arriveBatch(3));
        QVERIFY(onScreenMatchesAFreshPaint("a few rows"));
        // More than the viewport holds: rows leave it at the bottom as others arrive.
        QVERIFY(arriveBatch(viewport->height() / view->verticalHeader()->defaultSectionSize() + 5));
        QTRY_VERIFY(view->verticalScrollBar()->maximum() > 0);
        QVERIFY(onScreenMatchesAFreshPaint("a full list"));
        for (int count : {1, 2, 3, 1, 5}) {
            painted.pixels = 0;
            QVERIFY(arriveBatch(count));
            settle();
            // The new rows were painted, not the whole list again.
            const qint64 rows = qint64(view->verticalHeader()->defaultSectionSize()) * count;
            QVERIFY2(painted.pixels <= rows * viewport->width(),
                     qPrintable(QStringLiteral("%1 rows arrived, %2 of %3 pixels painted")
                                    .arg(count)
                                    .arg(painted.pixels)
                                    .arg(viewport->width() * viewport->height())));
            QVERIFY(onScreenMatchesAFreshPaint("following"));
        }
        // A selected row, following paused: the rows on screen stay where they are.
        const QModelIndex picked = m_window->deliveryModel()->index(2, 0);
        QTest::mouseClick(viewport, Qt::LeftButton, {}, view->visualRect(picked).center());
        QVERIFY(!m_window->isFollowingNewest());
        QVERIFY(onScreenMatchesAFreshPaint("selected"));
        for (int count : {1, 4, 3}) {
            QVERIFY(arriveBatch(count));
            QVERIFY(onScreenMatchesAFreshPaint("paused"));
        }
        follow->setChecked(true);
        QVERIFY(arriveBatch(2));
        QVERIFY(onScreenMatchesAFreshPaint("following again"));

        // Filtered: only the matching arrivals join the list, still by moving the rows.
        m_window->filterEdit()->setText(QStringLiteral("needle"));
        QTRY_COMPARE(m_window->deliveryModel()->rowCount(), 0);
        for (int round = 0; round < 3; ++round) {
            const int before = m_window->deliveryModel()->rowCount();
            for (const QByteArray &kind : {QByteArray("hay"), QByteArray("needle")}) {
                const QByteArray id = "evt_" + kind + "_" + QByteArray::number(round);
                QCOMPARE(sendRaw(m_window->listenerPort(), signedDelivery(id, Secret)).status, 200);
            }
            QTRY_COMPARE(m_window->deliveryModel()->rowCount(), before + 1);
            QCOMPARE(rowOf(QStringLiteral("evt_needle_%1").arg(round)), 0);
            QVERIFY(onScreenMatchesAFreshPaint("filtered"));
        }
        m_window->filterEdit()->clear();
    }

    void allOfASubscribersDeliveriesFiltersBySubscriber()
    {
        QCOMPARE(sendRaw(m_window->listenerPort(), signedDelivery("evt_mapped", Secret)).status,
                 200);
        m_window->showSubscribersWindow();
        SubscribersWindow *subscribers = m_window->subscribersWindow();
        QVERIFY(subscribers);
        Q_EMIT subscribers->showDeliveriesRequested(QStringLiteral("sub_evt_mapped"));
        QCOMPARE(m_window->filterText(), QStringLiteral("subscriber:\"sub_evt_mapped\""));
        QTRY_COMPARE(m_window->deliveryModel()->rowCount(), 1);
        subscribers->close();
        m_window->findChild<QLineEdit *>(QStringLiteral("filterEdit"))->clear();
        QTRY_VERIFY(m_window->deliveryModel()->rowCount() > 1);
    }

    // A sample adds its subscriber to the mapping only when the user asks for that.
    void samplesLeaveTheMappingUnlessAsked()
    {
        auto sampleSubscribers = [this] {
            Database db;
            if (!db.open(m_path, nullptr))
                return -1;
            const auto all = SubscriberRepository(db).list(nullptr);
            return int(std::count_if(all->cbegin(), all->cend(), [](const Subscriber &s) {
                return s.subscriberId.startsWith(u"sub_sample_");
            }));
        };
        const int rows = m_window->deliveryModel()->rowCount();
        m_window->sendSample(QStringLiteral("subscriber.created"), QStringLiteral("hh"));
        QTRY_COMPARE(m_window->deliveryModel()->rowCount(), rows + 1);
        QCOMPARE(sampleSubscribers(), 0);
        QAction *updateMapping = actionNamed(u"Samples update the subscriber &mapping");
        QVERIFY(updateMapping && !updateMapping->isChecked());
        updateMapping->setChecked(true);
        m_window->sendSample(QStringLiteral("subscriber.created"), QStringLiteral("hh"));
        QTRY_COMPARE(sampleSubscribers(), 1);
        updateMapping->setChecked(false);
    }

    // Last: it replaces the file under the window.
    void aDatabaseReplacedUnderneathIsKeptAndSaidSo()
    {
        QVERIFY(m_window->deliveryModel()->rowCount() > 0);
        const QString moved = m_path + QStringLiteral(".elsewhere");
        QVERIFY(QFile::rename(m_path, moved));
        QTRY_VERIFY2(m_window->bannerText().contains(QStringLiteral("was kept in")),
                     qPrintable(m_window->bannerText()));
        QVERIFY(m_window->bannerText().contains(m_path + QStringLiteral(".recovered-")));
        // A new file was started at the path: the list now reads it, and the notice stays.
        QTRY_COMPARE(m_window->deliveryModel()->rowCount(), 0);
        QCOMPARE(sendRaw(m_window->listenerPort(), buildRequest("POST", "/after", {}, "{}")).status,
                 404);
        QTRY_COMPARE(m_window->deliveryModel()->rowCount(), 1);
        QVERIFY(m_window->bannerText().contains(QStringLiteral("was kept in")));
    }
};

QTEST_MAIN(TestMainWindow)
#include "tst_mainwindow.moc"
