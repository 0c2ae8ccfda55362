#pragma once

#include "deliverytableview.h"
#include "endpoint.h"

#include <QHostAddress>
#include <QMainWindow>
#include <QPointer>
#include <QUrl>

#include <deque>
#include <memory>

class CompareDialog;
class DeliveryDetailView;
class DeliveryListModel;
class DeliveryStore;
class EndpointsDialog;
class EventsView;
class SubscribersWindow;
class Listener;
class HttpSender;
class NgrokAgent;
class ReplayDialog;
class QAction;
class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;
class QSplitter;
class ElidingLabel;
class DeliveryRowDelegate;
class FirstRunGuide;
class QStackedWidget;
class QMenu;
class QTableView;
class QThread;
class QTimer;
class QueryService;
class TimelineWidget;
struct DeliverySummary;

// The inspector window: listener state, filter, timeline, the live delivery list and the
// detail pane. It owns the store, the listener and the query service; none of its own code
// runs SQL or file I/O on the GUI thread.
class MainWindow : public QMainWindow
{
    Q_OBJECT

public:
    struct Options
    {
        QString databasePath;
        QHostAddress address = QHostAddress(QHostAddress::LocalHost);
        quint16 port = 8484;
        bool listen = true;
        bool ownDatabase = false; // the default file: a damaged one is set aside
        int busyTimeoutMs = 5000; // how long a write waits for a lock held elsewhere
    };

    explicit MainWindow(const Options &options, QWidget *parent = nullptr);
    ~MainWindow() override;

    // For tests and benchmarks.
    bool isReady() const { return m_ready; }
    quint16 listenerPort() const;
    DeliveryListModel *deliveryModel() const { return m_model; }
    QTableView *deliveryView() const { return m_view; }
    FirstRunGuide *firstRunGuide() const { return m_guide; }
    // Whether the list area shows the first-run guide rather than the list.
    bool showsFirstRunGuide() const;
    QString countText() const;
    // The file's name, or the team database's location without its password.
    QString databaseName() const;
    // Opened with a login that may only read the team database.
    bool isReadOnly() const { return m_readOnly; }
    QString filterText() const;
    bool isFollowingNewest() const;
    QPushButton *listenerButton() const { return m_listenerButton; }
    DeliveryDetailView *detailView() const { return m_details; }
    QueryService *queryService() const { return m_queries; }
    QLineEdit *filterEdit() const { return m_filter; }
    TimelineWidget *timeline() const { return m_timeline; }
    EndpointsDialog *endpointsDialog() const { return m_endpointsDialog; }
    SubscribersWindow *subscribersWindow() const { return m_subscribersWindow; }
    EventsView *eventsView() const { return m_eventsView; }
    // The dialog Compare opened last, while it is open.
    CompareDialog *compareDialog() const;
    QAction *compareAction() const { return m_compareAction; }
    ReplayDialog *replayDialog() const { return m_replayDialog; }
    QString bannerText() const;
    QString listenerText() const;
    QString ngrokText() const;
    QString publicUrl() const { return m_publicUrl; }

public Q_SLOTS:
    void showEndpointsDialog();
    void showKeyboardShortcuts();
    // The list header's context menu: a checkable entry per column, and Reset columns.
    QMenu *columnMenu();
    // Every action and the keys that reach it, as Help → Keyboard shortcuts lists them.
    QList<QPair<QString, QString>> keyboardShortcuts() const;
    void showSubscribersWindow();
    void showEventsView();
    // Two selected deliveries compared with each other, or one with the one before it (see
    // DeliveryReader::previousOf).
    void compareSelection();
    void showReplayDialog();
    void replaySelection(bool resign);
    void copyAsCurl(bool resign);
    // Asks which endpoint (and, for an auto endpoint, which scheme) when there is a choice.
    void sendSampleInteractive(const QString &eventType);
    void sendSample(const QString &eventType, const QString &endpointName,
                    std::optional<SignatureScheme> scheme = std::nullopt);
    void importFromNgrok();
    // Where the ngrok agent's API is (tests point it at a fake).
    void setNgrokApi(const QUrl &api);
    void selectDelivery(qint64 id);

Q_SIGNALS:
    // The store is open (or failed to open) and the listener started as asked.
    void ready();
    // The user chose to open (or create) another database file.
    void switchDatabaseRequested(const QString &path);

protected:
    void closeEvent(QCloseEvent *event) override;

private:
    void buildUi();
    void buildMenus();
    void restoreSettings();
    void applyDefaultColumns();
    void updateGuide();
    void showSecretWarnings();
    void updateTitle();
    void showColumnMenu(const QPoint &position);
    void widenEventColumn();
    void saveSettings();
    void onStoreOpened(bool ok, const QString &error);
    void startListener();
    void stopListener();
    void toggleListener();
    void applyFilter();
    void onCurrentRowChanged();
    void onStored(const QList<DeliverySummary> &batch);
    void onLiveRowsInserted(int count);
    void pauseFollowing();
    void updateStatus();
    void copySelectedRows();
    void showBanner(const QString &text);
    void backUpDatabase();
    void exportFixture();
    // Up to `limit` ids of the selected rows, in row order; more than `limit` rows selected
    // gives `limit` + 1 ids.
    QList<qint64> selectedIds(int limit) const;
    void updateCompareAction();
    void onSchemasLearned(int drifted);

    Options m_options;
    std::unique_ptr<DeliveryStore> m_store;
    std::unique_ptr<Listener> m_listener;
    QueryService *m_queries = nullptr;
    DeliveryListModel *m_model = nullptr;
    QThread *m_opener = nullptr;
    bool m_ready = false;
    // What became of a database file replaced underneath, until the store opens the path again.
    QString m_replacedNotice;
    bool m_storeOpen = false;
    bool m_readOnly = false;
    QStringList m_secretWarnings; // the last shown (see showSecretWarnings())
    bool m_timelineRequested = false;
    QList<Endpoint> m_endpoints;

    QLabel *m_banner = nullptr;
    ElidingLabel *m_listenerState = nullptr;
    QPushButton *m_listenerButton = nullptr;
    QPushButton *m_copyUrlButton = nullptr;
    ElidingLabel *m_databaseLabel = nullptr;
    QLineEdit *m_filter = nullptr;
    QLabel *m_filterError = nullptr;
    QTimer *m_filterTimer = nullptr;
    TimelineWidget *m_timeline = nullptr;
    DeliveryTableView *m_view = nullptr;
    FirstRunGuide *m_guide = nullptr;
    QAction *m_samplesUpdateMapping = nullptr;
    DeliveryRowDelegate *m_rowDelegate = nullptr;
    bool m_startOnFreePort = false; // the port asked for was taken: the next start picks one
    QStackedWidget *m_listStack = nullptr;
    DeliveryDetailView *m_details = nullptr;
    QSplitter *m_splitter = nullptr;
    QLabel *m_countLabel = nullptr;
    QLabel *m_rateLabel = nullptr;
    QProgressBar *m_progress = nullptr;
    QAction *m_followAction = nullptr;
    EndpointsDialog *m_endpointsDialog = nullptr;
    SubscribersWindow *m_subscribersWindow = nullptr;
    EventsView *m_eventsView = nullptr;
    QPointer<CompareDialog> m_compareDialog;
    QAction *m_compareAction = nullptr;
    // The one delivery selected, and what Compare compares it with (0: nothing, or not known
    // yet).
    qint64 m_compareSingle = 0;
    qint64 m_comparePrevious = 0;
    // schemasLearned comes after every commit that taught something: the views that show it
    // are refreshed at most this often.
    QTimer *m_schemaTimer = nullptr;
    bool m_schemaDrifted = false;
    ReplayDialog *m_replayDialog = nullptr;
    HttpSender *m_sampleSender = nullptr;
    NgrokAgent *m_ngrok = nullptr;
    ElidingLabel *m_ngrokLabel = nullptr;
    QString m_publicUrl;
    void pollNgrok();
    const Endpoint *endpointNamed(const QString &name) const;
    QString replayBaseUrl() const;
    qint64 m_pendingSelection = 0;
    std::deque<std::pair<qint64, int>> m_recent; // (ms, deliveries stored) for the rate
};
