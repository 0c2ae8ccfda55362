#include "mainwindow.h"

#include "comparedialog.h"
#include "database.h"
#include "deliverydetailview.h"
#include "deliverylistmodel.h"
#include "deliveryrowdelegate.h"
#include "deliverystore.h"
#include "deliverytableview.h"
#include "elidinglabel.h"
#include "endpointsdialog.h"
#include "eventsview.h"
#include "firstrunguide.h"
#include "httpsender.h"
#include "listener.h"
#include "ngrokagent.h"
#include "postgres.h"
#include "queryservice.h"
#include "replay.h"
#include "replaydialog.h"
#include "sampledelivery.h"
#include "signaturesigner.h"
#include "subscriberswindow.h"
#include "timelinewidget.h"
#include "verdictstyle.h"

#include <QAction>
#include <QApplication>
#include <QPointer>

#include <QClipboard>
#include <QCloseEvent>
#include <QDateTime>
#include <QDialog>
#include <QDialogButtonBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QInputDialog>
#include <QItemSelectionModel>
#include <QLabel>
#include <QLineEdit>
#include <QMenuBar>
#include <QMessageBox>
#include <QProgressBar>
#include <QPushButton>
#include <QScrollBar>
#include <QSettings>
#include <QShortcut>
#include <QSplitter>
#include <QStackedWidget>
#include <QStatusBar>
#include <QStyle>
#include <QTableView>
#include <QTableWidget>
#include <QThread>
#include <QTimer>
#include <QToolBar>
#include <QVBoxLayout>
#include <atomic>

MainWindow::MainWindow(const Options &options, QWidget *parent)
    : QMainWindow(parent)
    , m_options(options)
    , m_store(std::make_unique<DeliveryStore>())
{
    setWindowTitle(tr("HookScope — %1").arg(databaseName()));
    setWindowIcon(QIcon(QStringLiteral(":/icons/hookscope.svg")));
    m_queries = new QueryService(this);
    m_model = new DeliveryListModel(*m_queries, this);
    buildUi();
    buildMenus();
    restoreSettings();

    // Opening the file (and creating or upgrading it) is disk work: it happens on a thread of
    // its own, and the window shows meanwhile.
    DeliveryStore *store = m_store.get();
    const QString path = options.databasePath;
    const bool own = options.ownDatabase;
    const int busyTimeoutMs = options.busyTimeoutMs;
    m_opener = QThread::create([this, store, path, own, busyTimeoutMs] {
        DeliveryStore::Options storeOptions;
        storeOptions.path = path;
        const bool team = Postgres::isLocation(path);
        storeOptions.setAsideDamaged = own && !team;
        // On a team database the window shows what every receiver stores, and this machine's
        // secrets come from its own file.
        storeOptions.watchTeam = team;
        if (team)
            storeOptions.secretsPath = Database::defaultPath();
        storeOptions.busyTimeoutMs = busyTimeoutMs;
        QString error;
        const bool ok = store->open(storeOptions, &error);
        QMetaObject::invokeMethod(
            this, [this, ok, error] { onStoreOpened(ok, error); }, Qt::QueuedConnection);
    });
    m_opener->setObjectName(QStringLiteral("hookscope-open"));
    m_opener->start();
}

MainWindow::~MainWindow()
{
    if (m_opener) {
        m_opener->wait();
        delete m_opener;
    }
    if (m_listener)
        m_listener->stop();
    m_store->close();
    m_queries->stop();
}

void MainWindow::buildUi()
{
    auto *central = new QWidget(this);
    auto *layout = new QVBoxLayout(central);
    layout->setContentsMargins(6, 6, 6, 0);

    m_banner = new QLabel(central);
    m_banner->setObjectName(QStringLiteral("banner"));
    m_banner->setTextFormat(Qt::PlainText);
    m_banner->setWordWrap(true);
    m_banner->setStyleSheet(QStringLiteral(
        "QLabel { background: #c62828; color: white; padding: 6px; border-radius: 3px; }"));
    m_banner->hide();
    layout->addWidget(m_banner);

    // The buttons come first, so that they stay put whatever the status says; the labels cut
    // their text with "…" (whole in the tooltip) rather than widening the window.
    auto *top = new QHBoxLayout;
    m_listenerButton = new QPushButton(tr("Start"), central);
    m_listenerButton->setEnabled(false);
    m_listenerButton->setMinimumWidth(
        m_listenerButton->fontMetrics().horizontalAdvance(tr("Start listening")) + 24);
    m_copyUrlButton = new QPushButton(tr("Copy URL"), central);
    m_copyUrlButton->setEnabled(false);
    m_listenerState = new ElidingLabel(central, Qt::ElideRight);
    m_listenerState->setObjectName(QStringLiteral("listenerState"));
    m_listenerState->setFullText(tr("Opening the database…"));
    m_ngrokLabel = new ElidingLabel(central, Qt::ElideRight);
    m_ngrokLabel->setObjectName(QStringLiteral("ngrokLabel"));
    m_databaseLabel = new ElidingLabel(central, Qt::ElideMiddle);
    m_databaseLabel->setFullText(
        Postgres::isLocation(m_options.databasePath)
            ? tr("Team database: %1").arg(Postgres::displayLocation(m_options.databasePath))
            : tr("Database: %1").arg(QFileInfo(m_options.databasePath).absoluteFilePath()));
    top->addWidget(m_listenerButton);
    top->addWidget(m_copyUrlButton);
    top->addWidget(m_listenerState, 3);
    top->addWidget(m_ngrokLabel, 2);
    top->addWidget(m_databaseLabel, 2);
    layout->addLayout(top);

    auto *filterRow = new QHBoxLayout;
    m_filter = new QLineEdit(central);
    m_filter->setObjectName(QStringLiteral("filterEdit"));
    m_filter->setClearButtonEnabled(true);
    m_filter->setPlaceholderText(tr("Filter (Ctrl+F): text, event:, verdict:, endpoint:, status:, "
                                    "subscriber:, sample:, drift:, has:, since:, until:"));
    m_filterError = new QLabel(central);
    m_filterError->setTextFormat(Qt::PlainText);
    m_filterError->setStyleSheet(QStringLiteral("QLabel { color: #c62828; }"));
    filterRow->addWidget(m_filter, 1);
    filterRow->addWidget(m_filterError);
    layout->addLayout(filterRow);
    m_filterTimer = new QTimer(this);
    m_filterTimer->setSingleShot(true);
    m_filterTimer->setInterval(250);
    connect(m_filter, &QLineEdit::textChanged, m_filterTimer, qOverload<>(&QTimer::start));
    connect(m_filter, &QLineEdit::returnPressed, this, &MainWindow::applyFilter);
    connect(m_filterTimer, &QTimer::timeout, this, &MainWindow::applyFilter);

    m_timeline = new TimelineWidget(central);
    m_timeline->setFixedHeight(64);
    layout->addWidget(m_timeline);
    connect(m_timeline, &TimelineWidget::minuteClicked, this, [this](qint64 minuteMs) {
        const auto token = [](qint64 ms) {
            return QDateTime::fromMSecsSinceEpoch(ms, Qt::UTC).toString(Qt::ISODate);
        };
        m_filter->setText(
            QStringLiteral("since:%1 until:%2").arg(token(minuteMs), token(minuteMs + 60000)));
        applyFilter();
    });
    // The outlined minute is the filter's; typing another filter lets it go.
    connect(m_filter, &QLineEdit::textEdited, m_timeline, &TimelineWidget::clearSelectedMinute);

    m_view = new DeliveryTableView(central);
    m_view->setObjectName(QStringLiteral("deliveryView"));
    m_view->setModel(m_model);
    m_view->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_view->setSelectionMode(QAbstractItemView::ExtendedSelection);
    m_view->setWordWrap(false);
    m_view->setShowGrid(false);
    m_view->setTextElideMode(Qt::ElideMiddle);
    m_rowDelegate = new DeliveryRowDelegate(m_view);
    m_rowDelegate->setStriped(true);
    m_view->setItemDelegate(m_rowDelegate);
    connect(m_model, &QAbstractItemModel::modelReset, m_rowDelegate,
            &DeliveryRowDelegate::clearCache);
    m_view->setHorizontalScrollMode(QAbstractItemView::ScrollPerPixel);
    // Every row has the same fixed height: the view never measures rows (the table's
    // equivalent of setUniformRowHeights).
    m_view->verticalHeader()->hide();
    m_view->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    m_view->verticalHeader()->setDefaultSectionSize(m_view->fontMetrics().height() + 6);
    m_view->horizontalHeader()->setStretchLastSection(true);
    m_view->horizontalHeader()->setSectionsMovable(true);
    m_view->horizontalHeader()->setContextMenuPolicy(Qt::CustomContextMenu);
    connect(m_view->horizontalHeader(), &QHeaderView::customContextMenuRequested, this,
            &MainWindow::showColumnMenu);
    // Tab leaves the list for the detail pane instead of walking its cells.
    m_view->setTabKeyNavigation(false);
    applyDefaultColumns();

    m_details = new DeliveryDetailView(central);
    m_details->setObjectName(QStringLiteral("detailView"));
    connect(m_details, &DeliveryDetailView::deliveryRequested, this, &MainWindow::selectDelivery);

    // An empty list shows the way to a first delivery instead.
    m_guide = new FirstRunGuide(central);
    connect(m_guide, &FirstRunGuide::addEndpointRequested, this, &MainWindow::showEndpointsDialog);
    connect(m_guide, &FirstRunGuide::sendSampleRequested, this,
            [this] { sendSampleInteractive(QStringLiteral("subscriber.created")); });
    m_listStack = new QStackedWidget(central);
    m_listStack->addWidget(m_view);
    m_listStack->addWidget(m_guide);

    m_splitter = new QSplitter(Qt::Horizontal, central);
    m_splitter->setObjectName(QStringLiteral("mainSplitter"));
    m_splitter->addWidget(m_listStack);
    m_splitter->addWidget(m_details);
    m_splitter->setStretchFactor(0, 3);
    m_splitter->setStretchFactor(1, 2);
    layout->addWidget(m_splitter, 1);
    setCentralWidget(central);

    m_countLabel = new QLabel(this);
    m_rateLabel = new QLabel(this);
    m_progress = new QProgressBar(this);
    m_progress->setMaximumWidth(200);
    m_progress->hide();
    statusBar()->addWidget(m_countLabel);
    statusBar()->addWidget(m_rateLabel);
    statusBar()->addPermanentWidget(m_progress);

    connect(m_view->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            &MainWindow::onCurrentRowChanged);
    connect(m_view->selectionModel(), &QItemSelectionModel::selectionChanged, this,
            &MainWindow::updateCompareAction);
    connect(m_model, &QAbstractItemModel::modelReset, this, &MainWindow::updateCompareAction);
    connect(m_queries, &QueryService::previousDeliveryFound, this,
            [this](qint64 id, qint64 previousId) {
                if (id != m_compareSingle)
                    return;
                m_comparePrevious = previousId;
                updateCompareAction();
            });
    m_schemaTimer = new QTimer(this);
    m_schemaTimer->setSingleShot(true);
    m_schemaTimer->setInterval(500);
    connect(m_schemaTimer, &QTimer::timeout, this, [this] {
        if (m_eventsView && m_eventsView->isVisible())
            m_eventsView->reload();
        if (m_schemaDrifted)
            m_model->refreshDrift();
        m_schemaDrifted = false;
        // The delivery shown was stored just before: its drift is known now.
        if (m_details->driftPending())
            m_queries->requestDetails(m_details->deliveryId());
    });
    // A row clicked or reached with the keys while deliveries pour in stays where it is:
    // following pauses.
    connect(m_view, &QAbstractItemView::pressed, this, &MainWindow::pauseFollowing);
    connect(m_view, &DeliveryTableView::keyboardNavigated, this, &MainWindow::pauseFollowing);
    connect(m_model, &DeliveryListModel::liveRowsInserted, this, &MainWindow::onLiveRowsInserted);
    connect(m_model, &DeliveryListModel::snapshotReady, this, [this] {
        // The timeline's query waits for the first page of the list: rows first.
        if (!m_timelineRequested) {
            m_timelineRequested = true;
            m_queries->requestTimeline(QDateTime::currentMSecsSinceEpoch() -
                                       TimelineWidget::Minutes * 60000);
        }
        updateStatus();
        updateGuide();
        widenEventColumn();
        if (m_pendingSelection)
            selectDelivery(m_pendingSelection);
    });
    connect(m_model, &QAbstractItemModel::modelReset, this, [this] { m_details->clear(); });
    connect(m_queries, &QueryService::detailsLoaded, this, [this](const DeliveryDetails &details) {
        const QModelIndex current = m_view->currentIndex();
        if (current.isValid() &&
            m_model->data(current, DeliveryListModel::IdRole).toLongLong() == details.delivery.id)
            m_details->showDetails(details);
    });
    connect(m_queries, &QueryService::detailsFailed, this,
            [this](qint64, const QString &error) { m_details->showMessage(error); });
    connect(m_queries, &QueryService::timelineLoaded, m_timeline, &TimelineWidget::setCounts);
    connect(m_queries, &QueryService::queryFailed, this, [this](const QString &error) {
        statusBar()->showMessage(tr("Query failed: %1").arg(error), 10000);
    });
    connect(m_queries, &QueryService::opened, this, [this](bool ok, const QString &error) {
        if (!ok) {
            showBanner(tr("Cannot read the database: %1").arg(error));
            return;
        }
        applyFilter();
    });
    connect(m_queries, &QueryService::fixtureExported, this,
            [this](const QStringList &files, const QString &note, const QString &error) {
                statusBar()->showMessage(
                    error.isEmpty() ? tr("Wrote %1. %2").arg(files.join(QStringLiteral(", ")), note)
                                    : tr("No fixture written: %1").arg(error),
                    30000);
            });
    connect(m_queries, &QueryService::backupFinished, this,
            [this](const QString &path, const QString &error) {
                statusBar()->showMessage(error.isEmpty()
                                             ? tr("Backed up to %1.").arg(path)
                                             : tr("Backup to %1 failed: %2").arg(path, error),
                                         20000);
            });
    connect(m_queries, &QueryService::deliveriesReplayed, this,
            [this](int ok, int total, const QString &problems) {
                statusBar()->showMessage(
                    problems.isEmpty()
                        ? (total == 1 ? tr("Replayed 1 delivery: it answered 2xx.")
                                      : tr("Replayed %1 deliveries: all answered 2xx.").arg(total))
                        : tr("Replayed %1, %2 answered 2xx: %3")
                              .arg(total == 1 ? tr("1 delivery") : tr("%1 deliveries").arg(total))
                              .arg(ok)
                              .arg(problems),
                    20000);
                if (m_details->deliveryId())
                    m_queries->requestDetails(m_details->deliveryId());
            });
    connect(m_queries, &QueryService::replayStored, this,
            [this](qint64 deliveryId, const QString &error) {
                if (!error.isEmpty())
                    statusBar()->showMessage(
                        tr("The replay's answer could not be kept: %1").arg(error), 15000);
                else if (deliveryId == m_details->deliveryId())
                    m_queries->requestDetails(deliveryId);
            });
    connect(m_queries, &QueryService::reverificationProgress, this,
            [this](qint64 done, qint64 total) {
                m_progress->setRange(0, static_cast<int>(std::max<qint64>(total, 1)));
                m_progress->setValue(static_cast<int>(done));
                m_progress->setFormat(tr("Re-verifying %v/%m"));
                m_progress->show();
            });
    connect(m_queries, &QueryService::reverificationFinished, this,
            [this](const QString &endpoint, qint64 checked, qint64 changed, const QString &error) {
                m_progress->hide();
                if (!error.isEmpty()) {
                    statusBar()->showMessage(tr("Re-verifying %1 failed: %2").arg(endpoint, error),
                                             15000);
                    return;
                }
                statusBar()->showMessage(
                    tr("Re-verified %1 of %2: %3 changed verdict")
                        .arg(checked == 1 ? tr("1 delivery") : tr("%1 deliveries").arg(checked),
                             endpoint)
                        .arg(changed),
                    15000);
                if (changed > 0)
                    m_model->reload();
            });

    connect(m_listenerButton, &QPushButton::clicked, this, &MainWindow::toggleListener);
    connect(m_copyUrlButton, &QPushButton::clicked, this, [this] {
        if (m_listener && m_listener->isListening())
            QApplication::clipboard()->setText(m_listener->url());
    });

    auto *home =
        new QShortcut(QKeySequence(Qt::Key_Home), m_view, nullptr, nullptr, Qt::WidgetShortcut);
    connect(home, &QShortcut::activated, this, [this] {
        if (m_model->rowCount() > 0)
            m_view->setCurrentIndex(m_model->index(0, 0));
    });
    auto *end =
        new QShortcut(QKeySequence(Qt::Key_End), m_view, nullptr, nullptr, Qt::WidgetShortcut);
    connect(end, &QShortcut::activated, this, [this] {
        if (m_model->rowCount() > 0) {
            pauseFollowing();
            m_view->setCurrentIndex(m_model->index(m_model->rowCount() - 1, 0));
        }
    });

    m_ngrok = new NgrokAgent(QUrl(QString::fromLatin1(NgrokAgent::DefaultApi)), this);
    auto *ngrokTimer = new QTimer(this);
    ngrokTimer->setInterval(5000);
    connect(ngrokTimer, &QTimer::timeout, this, &MainWindow::pollNgrok);
    ngrokTimer->start();

    auto *rateTimer = new QTimer(this);
    rateTimer->setInterval(1000);
    connect(rateTimer, &QTimer::timeout, this, &MainWindow::updateStatus);
    rateTimer->start();
    updateStatus();
}

void MainWindow::buildMenus()
{
    QMenu *file = menuBar()->addMenu(tr("&File"));
    QAction *open = file->addAction(tr("&Open database…"), this, [this] {
        const QString path = QFileDialog::getOpenFileName(
            this, tr("Open a HookScope database"), QFileInfo(m_options.databasePath).absolutePath(),
            tr("HookScope databases (*.db);;All files (*)"));
        if (!path.isEmpty())
            Q_EMIT switchDatabaseRequested(path);
    });
    open->setShortcut(QKeySequence::Open);
    QAction *create = file->addAction(tr("&New database…"), this, [this] {
        const QString path = QFileDialog::getSaveFileName(
            this, tr("Create a HookScope database"),
            QFileInfo(m_options.databasePath).absolutePath(), tr("HookScope databases (*.db)"),
            nullptr, QFileDialog::DontConfirmOverwrite);
        if (path.isEmpty())
            return;
        if (QFileInfo::exists(path)) {
            QMessageBox::warning(this, tr("New database"),
                                 tr("%1 exists already. HookScope never overwrites a file: choose "
                                    "a new name, or open it with File → Open.")
                                     .arg(path));
            return;
        }
        Q_EMIT switchDatabaseRequested(path);
    });
    create->setShortcut(QKeySequence::New);
    QAction *backUp = file->addAction(tr("&Back up database…"), this, &MainWindow::backUpDatabase);
    if (Postgres::isLocation(m_options.databasePath)) {
        // Its server keeps it; `hookscope db copy` makes a file of it.
        backUp->setEnabled(false);
        backUp->setStatusTip(tr("A team database is backed up by its server; copy it into a file "
                                "with: hookscope db copy --from URL --to FILE"));
    }
    file->addSeparator();
    QAction *quit = file->addAction(tr("&Quit"), this, &QWidget::close);
    quit->setShortcut(QKeySequence::Quit);

    QMenu *edit = menuBar()->addMenu(tr("&Edit"));
    QAction *copy = edit->addAction(tr("&Copy rows"), this, &MainWindow::copySelectedRows);
    copy->setShortcut(QKeySequence::Copy);
    copy->setShortcutContext(Qt::WidgetShortcut);
    m_view->addAction(copy);
    edit->addSeparator();
    QAction *curl = edit->addAction(tr("Copy as c&url"), this, [this] { copyAsCurl(false); });
    curl->setShortcut(QKeySequence(Qt::CTRL | Qt::ALT | Qt::Key_C));
    edit->addAction(tr("Copy as curl, &re-signed"), this, [this] { copyAsCurl(true); });
    edit->addAction(tr("Export as test &fixture…"), this, &MainWindow::exportFixture);
    QAction *replay = edit->addAction(tr("Re&play…"), this, &MainWindow::showReplayDialog);
    edit->addAction(tr("Replay the selected deliveries as recorded"), this,
                    [this] { replaySelection(false); });
    edit->addAction(tr("Replay the selected deliveries, re-signed"), this,
                    [this] { replaySelection(true); });
    replay->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_R));
    edit->addSeparator();
    m_compareAction = edit->addAction(tr("Co&mpare"), this, &MainWindow::compareSelection);
    m_compareAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_D));
    // Why Compare is disabled is said where it is.
    edit->setToolTipsVisible(true);
    m_view->addAction(m_compareAction);
    m_view->setContextMenuPolicy(Qt::ActionsContextMenu);
    updateCompareAction();
    edit->addSeparator();
    QAction *find = edit->addAction(tr("&Find…"), this, [this] {
        m_filter->setFocus();
        m_filter->selectAll();
    });
    find->setShortcut(QKeySequence::Find);

    QMenu *view = menuBar()->addMenu(tr("&View"));
    m_followAction = view->addAction(tr("&Follow newest"));
    m_followAction->setCheckable(true);
    m_followAction->setChecked(true);
    m_followAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_L));
    m_view->setFollowingNewest(true);
    connect(m_followAction, &QAction::toggled, m_view, &DeliveryTableView::setFollowingNewest);

    QAction *subscribers =
        view->addAction(tr("&Subscribers…"), this, &MainWindow::showSubscribersWindow);
    subscribers->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_S));
    QAction *events = view->addAction(tr("&Events…"), this, &MainWindow::showEventsView);
    events->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_E));

    QMenu *listener = menuBar()->addMenu(tr("&Listener"));
    QAction *endpoints =
        listener->addAction(tr("&Endpoints…"), this, &MainWindow::showEndpointsDialog);
    endpoints->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_E));
    listener->addAction(tr("&Start or stop"), this, &MainWindow::toggleListener);
    listener->addAction(tr("&Import from ngrok"), this, &MainWindow::importFromNgrok);
    listener->addAction(tr("Copy the ngrok &public URL"), this, [this] {
        if (m_publicUrl.isEmpty()) {
            statusBar()->showMessage(
                m_listener && m_listener->isListening()
                    ? tr("No ngrok tunnel forwards to this listener: run  ngrok http %1")
                          .arg(m_listener->port())
                    : tr("No ngrok tunnel: start the listener, then run ngrok."),
                10000);
            return;
        }
        QApplication::clipboard()->setText(m_publicUrl);
        statusBar()->showMessage(tr("Copied %1.").arg(m_publicUrl), 5000);
    });
    QMenu *samples = listener->addMenu(tr("Send &sample"));
    for (const QString &eventType : SampleDelivery::eventTypes()) {
        samples->addAction(eventType, this,
                           [this, eventType] { sendSampleInteractive(eventType); });
    }
    samples->addSeparator();
    // Samples leave the subscriber mapping alone unless asked; the choice is remembered.
    m_samplesUpdateMapping = samples->addAction(tr("Samples update the subscriber &mapping"));
    m_samplesUpdateMapping->setCheckable(true);
    m_samplesUpdateMapping->setChecked(
        QSettings().value(QStringLiteral("sample/updateMapping"), false).toBool());
    connect(m_samplesUpdateMapping, &QAction::toggled, this,
            [](bool on) { QSettings().setValue(QStringLiteral("sample/updateMapping"), on); });

    QMenu *help = menuBar()->addMenu(tr("&Help"));
    QAction *keys =
        help->addAction(tr("&Keyboard shortcuts"), this, &MainWindow::showKeyboardShortcuts);
    keys->setShortcut(QKeySequence::HelpContents);
    help->addAction(tr("&About HookScope"), this, [this] {
        QMessageBox::about(this, tr("About HookScope"),
                           tr("HookScope %1\nA local inspector for webhook deliveries: every "
                              "delivery verified, explained and kept.")
                               .arg(QCoreApplication::applicationVersion()));
    });

    QToolBar *toolbar = addToolBar(tr("Main"));
    toolbar->setObjectName(QStringLiteral("mainToolbar"));
    toolbar->setMovable(false);
    toolbar->addAction(m_followAction);
    toolbar->addAction(endpoints);
    toolbar->addAction(subscribers);
    toolbar->addAction(events);
}

QList<QPair<QString, QString>> MainWindow::keyboardShortcuts() const
{
    QList<QPair<QString, QString>> rows;
    // Every menu action, as the menus show it, with its shortcut or its mnemonics.
    std::function<void(const QMenu *, const QString &)> walk = [&](const QMenu *menu,
                                                                   const QString &path) {
        for (QAction *action : menu->actions()) {
            if (action->isSeparator())
                continue;
            QString text = action->text();
            text.remove(u'&');
            const QString where = path + QStringLiteral(" → ") + text;
            if (action->menu()) {
                walk(action->menu(), where);
                continue;
            }
            rows.append({where, action->shortcut().isEmpty()
                                    ? tr("Alt, then the underlined letters")
                                    : action->shortcut().toString(QKeySequence::NativeText)});
        }
    };
    for (QAction *top : menuBar()->actions()) {
        if (!top->menu())
            continue;
        QString title = top->text();
        title.remove(u'&');
        walk(top->menu(), title);
    }
    rows.append({tr("Delivery list: first or last delivery"), tr("Home, End")});
    rows.append({tr("Delivery list: to the detail pane and the filter"), tr("Tab, Shift+Tab")});
    rows.append(
        {tr("Detail pane: Overview, Headers, Body, Fields"), tr("Alt+O, Alt+D, Alt+B, Alt+I")});
    rows.append(
        {tr("Detail pane: copy the selected value or field path"), tr("Ctrl+C, Ctrl+Shift+C")});
    return rows;
}

void MainWindow::showKeyboardShortcuts()
{
    auto *dialog = new QDialog(this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->setWindowTitle(tr("Keyboard shortcuts"));
    auto *layout = new QVBoxLayout(dialog);
    const auto rows = keyboardShortcuts();
    auto *table = new QTableWidget(int(rows.size()), 2, dialog);
    table->setObjectName(QStringLiteral("shortcutsTable"));
    table->setHorizontalHeaderLabels({tr("Action"), tr("Keys")});
    table->verticalHeader()->hide();
    table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    for (int row = 0; row < rows.size(); ++row) {
        table->setItem(row, 0, new QTableWidgetItem(rows.at(row).first));
        table->setItem(row, 1, new QTableWidgetItem(rows.at(row).second));
    }
    table->resizeColumnsToContents();
    table->horizontalHeader()->setStretchLastSection(true);
    layout->addWidget(table);
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Close, dialog);
    connect(buttons, &QDialogButtonBox::rejected, dialog, &QDialog::close);
    layout->addWidget(buttons);
    dialog->resize(640, 520);
    dialog->show();
}

void MainWindow::applyDefaultColumns()
{
    // What users scan first, first: when, whether it verified, what happened, where to. The
    // rest follows, narrower, and the ids and addresses only on request.
    using M = DeliveryListModel;
    // Widths from the font: the time and the verdict are never cut.
    const QFontMetrics metrics = m_view->fontMetrics();
    const int padding = 2 * metrics.averageCharWidth() + 12;
    const int icon = m_view->style()->pixelMetric(QStyle::PM_SmallIconSize) + 6;
    const int time = metrics.horizontalAdvance(QStringLiteral("8888-88-88 88:88:88.888")) + padding;
    const int verdict = metrics.horizontalAdvance(QStringLiteral("unverified")) + icon + padding;
    const QList<QPair<int, int>> layout{
        {M::TimeColumn, time},    {M::VerdictColumn, verdict}, {M::EventTypeColumn, 170},
        {M::EndpointColumn, 100}, {M::PathColumn, 160},        {M::MethodColumn, 60},
        {M::StatusColumn, 50},    {M::SizeColumn, 65},         {M::EventIdColumn, 140},
        {M::RemoteColumn, 100},
    };
    QHeaderView *header = m_view->horizontalHeader();
    for (int visual = 0; visual < layout.size(); ++visual) {
        const auto &[column, width] = layout.at(visual);
        header->moveSection(header->visualIndex(column), visual);
        header->setSectionHidden(column, false);
        m_view->setColumnWidth(column, width);
    }
    header->setSectionHidden(M::EventIdColumn, true);
    header->setSectionHidden(M::RemoteColumn, true);
}

void MainWindow::showColumnMenu(const QPoint &position)
{
    QMenu *menu = columnMenu();
    menu->setAttribute(Qt::WA_DeleteOnClose);
    menu->popup(m_view->horizontalHeader()->viewport()->mapToGlobal(position));
}

QMenu *MainWindow::columnMenu()
{
    QHeaderView *header = m_view->horizontalHeader();
    auto *menuPointer = new QMenu(this);
    QMenu &menu = *menuPointer;
    int shown = 0;
    for (int column = 0; column < DeliveryListModel::ColumnCount; ++column)
        shown += header->isSectionHidden(column) ? 0 : 1;
    for (int visual = 0; visual < DeliveryListModel::ColumnCount; ++visual) {
        const int column = header->logicalIndex(visual);
        QAction *action =
            menu.addAction(m_model->headerData(column, Qt::Horizontal, Qt::DisplayRole).toString());
        action->setCheckable(true);
        action->setChecked(!header->isSectionHidden(column));
        // The last visible column stays: a list without columns shows nothing.
        action->setEnabled(header->isSectionHidden(column) || shown > 1);
        connect(action, &QAction::toggled, this,
                [header, column](bool visible) { header->setSectionHidden(column, !visible); });
    }
    menu.addSeparator();
    menu.addAction(tr("Reset columns"), this, &MainWindow::applyDefaultColumns);
    return menuPointer;
}

void MainWindow::widenEventColumn()
{
    // The Event column is never narrower than the median width of the events it shows.
    QList<int> widths;
    const QFontMetrics metrics = m_view->fontMetrics();
    const int rows = std::min(m_model->rowCount(), 500);
    for (int row = 0; row < rows; ++row) {
        const QString text = m_model->index(row, DeliveryListModel::EventTypeColumn)
                                 .data(Qt::DisplayRole)
                                 .toString();
        if (!text.isEmpty())
            widths.append(metrics.horizontalAdvance(text));
    }
    if (widths.isEmpty())
        return;
    std::nth_element(widths.begin(), widths.begin() + widths.size() / 2, widths.end());
    const int wanted = widths.at(widths.size() / 2) + 2 * metrics.averageCharWidth() + 8;
    if (m_view->columnWidth(DeliveryListModel::EventTypeColumn) < wanted)
        m_view->setColumnWidth(DeliveryListModel::EventTypeColumn, wanted);
}

void MainWindow::restoreSettings()
{
    QSettings settings;
    restoreGeometry(settings.value(QStringLiteral("window/geometry")).toByteArray());
    restoreState(settings.value(QStringLiteral("window/state")).toByteArray());
    m_splitter->restoreState(settings.value(QStringLiteral("window/splitter")).toByteArray());
    // "columns2": the layout since Time, Verdict, Event and Endpoint come first; a layout saved
    // before that is not restored.
    if (settings.contains(QStringLiteral("window/columns2")))
        m_view->horizontalHeader()->restoreState(
            settings.value(QStringLiteral("window/columns2")).toByteArray());
    m_filter->blockSignals(true);
    m_filter->setText(settings.value(QStringLiteral("filter/last")).toString());
    m_filter->blockSignals(false);
    if (m_followAction)
        m_followAction->setChecked(settings.value(QStringLiteral("view/follow"), true).toBool());
    if (!settings.contains(QStringLiteral("window/geometry")))
        resize(1280, 800);
}

void MainWindow::saveSettings()
{
    QSettings settings;
    settings.setValue(QStringLiteral("window/geometry"), saveGeometry());
    settings.setValue(QStringLiteral("window/state"), saveState());
    settings.setValue(QStringLiteral("window/splitter"), m_splitter->saveState());
    settings.setValue(QStringLiteral("window/columns2"), m_view->horizontalHeader()->saveState());
    settings.setValue(QStringLiteral("filter/last"), m_filter->text());
    settings.setValue(QStringLiteral("view/follow"), m_followAction->isChecked());
}

void MainWindow::closeEvent(QCloseEvent *event)
{
    saveSettings();
    QMainWindow::closeEvent(event);
}

void MainWindow::onStoreOpened(bool ok, const QString &error)
{
    m_opener->wait();
    delete m_opener;
    m_opener = nullptr;
    if (!ok) {
        m_listenerState->setFullText(tr("Not listening: the database could not be opened"));
        showBanner(tr("Cannot open the database: %1").arg(error));
        m_ready = true;
        Q_EMIT ready();
        return;
    }
    m_storeOpen = true;
    m_endpoints = m_store->endpoints();
    showSecretWarnings();
    if (!m_store->setAsideFile().isEmpty())
        showBanner(tr("The database was damaged. It was kept, untouched, as %1, and a new one was "
                      "started.")
                       .arg(m_store->setAsideFile()));
    connect(m_store.get(), &DeliveryStore::stored, m_model, &DeliveryListModel::addStored);
    connect(m_store.get(), &DeliveryStore::stored, this, &MainWindow::onStored);
    connect(m_store.get(), &DeliveryStore::endpointsChanged, this,
            [this](const QList<Endpoint> &endpoints) {
                m_endpoints = endpoints;
                if (m_endpointsDialog)
                    m_endpointsDialog->setEndpoints(endpoints);
                updateGuide();
                showSecretWarnings();
            });
    connect(m_store.get(), &DeliveryStore::storageFailed, this, [this](const QString &failure) {
        showBanner(tr("Cannot write the database: %1. Senders are answered 503 and will retry.")
                       .arg(failure));
    });
    connect(m_store.get(), &DeliveryStore::fileReplaced, this, [this](const QString &keptCopy) {
        m_replacedNotice =
            keptCopy.isEmpty()
                ? tr("The database file was replaced or removed while HookScope had it open, and "
                     "copying what it held failed.")
                : tr("The database file was replaced or removed while HookScope had it open. "
                     "Everything it held was kept in %1.")
                      .arg(keptCopy);
        showBanner(m_replacedNotice);
    });
    connect(m_store.get(), &DeliveryStore::storageRecovered, this,
            [this, setAside = m_store->setAsideFile()]() mutable {
                // After a replacement the list reads the file now at the path, and the notice
                // stays, with the damaged file found there when one was set aside.
                if (!m_replacedNotice.isEmpty())
                    m_queries->requestReopen(m_options.databasePath);
                if (m_store->setAsideFile() != setAside) {
                    setAside = m_store->setAsideFile();
                    m_replacedNotice +=
                        QLatin1Char(' ') + tr("The damaged file found in its place was kept, "
                                              "untouched, as %1, and a new one was started.")
                                               .arg(setAside);
                }
                showBanner(m_replacedNotice.trimmed());
                m_replacedNotice.clear();
            });
    connect(m_store.get(), &DeliveryStore::subscribersChanged, this, [this] {
        if (m_subscribersWindow)
            m_subscribersWindow->reload();
    });
    connect(m_store.get(), &DeliveryStore::schemasLearned, this,
            [this](int, int drifted) { onSchemasLearned(drifted); });
    m_queries->start(m_options.databasePath);
    m_listener = std::make_unique<Listener>(*m_store);
    m_readOnly = m_store->isReadOnly();
    if (m_readOnly) {
        // A viewer's login: deliveries are received by the team's receivers, not here.
        m_listenerState->setFullText(tr("Read-only: this login may view the team database, "
                                        "not store deliveries"));
        m_listenerButton->setEnabled(false);
        m_copyUrlButton->setEnabled(false);
        updateTitle();
    } else {
        m_listenerButton->setEnabled(true);
        if (m_options.listen)
            startListener();
        else
            stopListener();
    }
    m_ready = true;
    Q_EMIT ready();
}

void MainWindow::startListener()
{
    QString error;
    const quint16 port = m_startOnFreePort ? 0 : m_options.port;
    m_startOnFreePort = false;
    if (m_listener->start(m_options.address, port, &error)) {
        const bool loopback = m_options.address.isLoopback();
        m_listenerState->setFullText(
            loopback
                ? tr("Listening on %1").arg(m_listener->url())
                : tr("Listening on %1 — reachable from other machines").arg(m_listener->url()));
        m_listenerButton->setText(tr("Stop"));
        m_copyUrlButton->setEnabled(true);
        // Whether ngrok already forwards here is asked at once, not at the next poll.
        pollNgrok();
    } else if (m_listener->addressWasInUse()) {
        // Most often another HookScope (a window or serve) has the port: offer a free one.
        m_listenerState->setFullText(
            tr("Not listening: port %1 is in use, perhaps by another HookScope. Start on a free "
               "port, or choose one with --listen HOST:PORT.")
                .arg(m_options.port));
        m_listenerButton->setText(tr("Start on a free port"));
        m_startOnFreePort = true;
        m_copyUrlButton->setEnabled(false);
    } else {
        m_listenerState->setFullText(tr("Not listening: %1").arg(error));
        m_listenerButton->setText(tr("Start"));
        m_copyUrlButton->setEnabled(false);
    }
    updateTitle();
    updateGuide();
}

void MainWindow::updateTitle()
{
    // Two windows on one file differ by the port they listen on.
    const QString file = databaseName();
    if (m_readOnly) {
        setWindowTitle(tr("HookScope — %1 — read-only").arg(file));
        return;
    }
    setWindowTitle(m_listener && m_listener->isListening()
                       ? tr("HookScope — %1 — port %2").arg(file).arg(m_listener->port())
                       : tr("HookScope — %1 — not listening").arg(file));
}

void MainWindow::showSecretWarnings()
{
    // On a team database: this machine lacks an endpoint's secret, or has another one than the
    // team's, so what it receives will not verify.
    const QStringList warnings = m_store->endpointWarnings();
    if (warnings.isEmpty() || warnings == m_secretWarnings)
        return;
    m_secretWarnings = warnings;
    showBanner(warnings.join(u'\n'));
}

QString MainWindow::databaseName() const
{
    return Postgres::isLocation(m_options.databasePath)
               ? Postgres::displayLocation(m_options.databasePath)
               : QFileInfo(m_options.databasePath).fileName();
}

QString MainWindow::countText() const
{
    return m_countLabel->text();
}

QString MainWindow::filterText() const
{
    return m_filter->text();
}

bool MainWindow::isFollowingNewest() const
{
    return m_followAction->isChecked();
}

bool MainWindow::showsFirstRunGuide() const
{
    return m_listStack->currentWidget() == m_guide;
}

void MainWindow::updateGuide()
{
    if (!m_guide)
        return;
    const bool empty = m_storeOpen && !m_model->isLoading() && m_model->rowCount() == 0 &&
                       m_model->filter().isEmpty();
    FirstRunGuide::State state;
    // The endpoint a sender would most likely use: the first with a secret, else the first.
    const auto withSecret = std::find_if(m_endpoints.cbegin(), m_endpoints.cend(),
                                         [](const Endpoint &e) { return e.hasSecret(); });
    const Endpoint *endpoint = withSecret != m_endpoints.cend() ? &*withSecret
                               : m_endpoints.isEmpty()          ? nullptr
                                                                : &m_endpoints.constFirst();
    if (endpoint) {
        state.endpointName = endpoint->name;
        state.endpointPath = endpoint->path;
        state.endpointHasSecret = endpoint->hasSecret();
    }
    if (m_listener && m_listener->isListening()) {
        state.port = m_listener->port();
        state.localUrl = m_listener->url();
        state.publicUrl = m_publicUrl;
    }
    m_guide->setState(state);
    m_listStack->setCurrentWidget(empty ? static_cast<QWidget *>(m_guide) : m_view);
}

void MainWindow::pollNgrok()
{
    if (!m_listener || !m_listener->isListening()) {
        m_ngrokLabel->setFullText(QString());
        return;
    }
    m_ngrok->status(m_listener->port(), [this](const NgrokAgent::Status &status) {
        const QString publicUrl = status.ours ? status.ours->publicUrl.toString() : QString();
        const bool changed = publicUrl != m_publicUrl;
        m_publicUrl = publicUrl;
        if (changed)
            updateGuide();
        m_ngrokLabel->setFullText(status.ours ? tr("Public: %1").arg(m_publicUrl) : status.advice);
        m_ngrokLabel->setToolTip(status.advice);
        if (m_endpointsDialog)
            m_endpointsDialog->setPublicUrl(m_publicUrl);
    });
}

void MainWindow::setNgrokApi(const QUrl &api)
{
    delete m_ngrok;
    m_ngrok = new NgrokAgent(api, this);
    pollNgrok();
}

QString MainWindow::ngrokText() const
{
    return m_ngrokLabel->fullText();
}

void MainWindow::importFromNgrok()
{
    if (!m_storeOpen)
        return;
    statusBar()->showMessage(tr("Asking ngrok for the requests it recorded…"));
    m_ngrok->recordedRequests([this](const QList<NgrokAgent::Recorded> &recorded,
                                     const QString &error) {
        if (!error.isEmpty()) {
            statusBar()->showMessage(tr("Cannot ask ngrok: %1").arg(error), 15000);
            return;
        }
        QStringList problems;
        const QList<Delivery> deliveries =
            NgrokAgent::toDeliveries(recorded, m_endpoints, &problems);
        if (deliveries.isEmpty()) {
            statusBar()->showMessage(tr("ngrok has no recorded requests to import."), 10000);
            return;
        }
        struct Tally
        {
            std::atomic<int> stored{0};
            std::atomic<int> already{0};
            std::atomic<int> done{0};
        };
        auto tally = std::make_shared<Tally>();
        const int total = int(deliveries.size());
        QPointer<MainWindow> window(this);
        for (const Delivery &delivery : deliveries) {
            m_store->submit(delivery, DeliveryStore::Clock::now(),
                            [tally, total, window, unreadable = int(problems.size())](
                                qint64 id, int, const QString &failure) {
                                if (id > 0)
                                    ++tally->stored;
                                else if (failure == QLatin1String(DeliveryStore::AlreadyStored))
                                    ++tally->already;
                                if (++tally->done == total) {
                                    QMetaObject::invokeMethod(qApp, [window, tally, unreadable] {
                                        if (window)
                                            window->statusBar()->showMessage(
                                                tr("Imported %1 requests from ngrok (%2 were "
                                                   "stored before, %3 unreadable).")
                                                    .arg(tally->stored.load())
                                                    .arg(tally->already.load())
                                                    .arg(unreadable),
                                                20000);
                                    });
                                }
                            });
        }
    });
}

void MainWindow::stopListener()
{
    if (m_listener)
        m_listener->stop();
    m_listenerState->setFullText(tr("Stopped: deliveries are not being received"));
    m_listenerButton->setText(tr("Start"));
    m_copyUrlButton->setEnabled(false);
    updateTitle();
    updateGuide();
}

void MainWindow::toggleListener()
{
    if (!m_listener)
        return;
    if (m_listener->isListening())
        stopListener();
    else
        startListener();
}

quint16 MainWindow::listenerPort() const
{
    return m_listener ? m_listener->port() : 0;
}

QString MainWindow::bannerText() const
{
    return m_banner->isVisible() ? m_banner->text() : QString();
}

QString MainWindow::listenerText() const
{
    return m_listenerState->fullText();
}

void MainWindow::showBanner(const QString &text)
{
    m_banner->setText(text);
    m_banner->setVisible(!text.isEmpty());
}

void MainWindow::applyFilter()
{
    m_filterTimer->stop();
    QString error;
    const DeliveryFilter filter = DeliveryFilter::parse(m_filter->text(), &error);
    m_filterError->setText(error);
    if (!m_storeOpen)
        return;
    m_model->setFilter(filter);
}

void MainWindow::onCurrentRowChanged()
{
    const QModelIndex current = m_view->currentIndex();
    const qint64 id =
        current.isValid() ? m_model->data(current, DeliveryListModel::IdRole).toLongLong() : 0;
    if (id == 0) {
        m_details->clear();
        return;
    }
    if (id != m_details->deliveryId())
        m_details->showMessage(tr("Loading delivery %1…").arg(id));
    m_queries->requestDetails(id);
}

void MainWindow::selectDelivery(qint64 id)
{
    const int row = m_model->rowOfId(id);
    if (row < 0) {
        // Not in the list as filtered: show everything, then select it.
        m_pendingSelection = id;
        if (!m_filter->text().isEmpty())
            m_filter->clear();
        return;
    }
    m_pendingSelection = 0;
    // A delivery below the newest, asked for by name, stays in view.
    if (row > 0)
        pauseFollowing();
    m_view->setCurrentIndex(m_model->index(row, 0));
    m_view->scrollTo(m_model->index(row, 0));
}

void MainWindow::pauseFollowing()
{
    if (!m_followAction->isChecked())
        return;
    m_followAction->setChecked(false);
    statusBar()->showMessage(
        tr("Following the newest paused while you look; View → Follow newest (%1) resumes it.")
            .arg(m_followAction->shortcut().toString(QKeySequence::NativeText)),
        8000);
}

void MainWindow::onStored(const QList<DeliverySummary> &batch)
{
    m_timeline->addDeliveries(batch);
    m_recent.emplace_back(QDateTime::currentMSecsSinceEpoch(), static_cast<int>(batch.size()));
}

void MainWindow::onLiveRowsInserted(int count)
{
    if (m_listStack->currentWidget() == m_guide)
        updateGuide();
    // A delivery asked for before its row was shown (arrivals are shown in batches).
    if (m_pendingSelection && m_model->rowOfId(m_pendingSelection) >= 0) {
        selectDelivery(m_pendingSelection);
        return;
    }
    if (m_followAction->isChecked()) {
        m_view->scrollToTop();
        return;
    }
    // Keep the rows the user is looking at where they are.
    QScrollBar *bar = m_view->verticalScrollBar();
    bar->setValue(bar->value() + count);
}

void MainWindow::updateStatus()
{
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    while (!m_recent.empty() && m_recent.front().first < now - 10000)
        m_recent.pop_front();
    int recent = 0;
    for (const auto &[time, count] : m_recent)
        recent += count;
    if (!m_storeOpen)
        m_countLabel->setText(tr("Opening…"));
    else if (m_model->isLoading())
        m_countLabel->setText(tr("Loading…"));
    else
        m_countLabel->setText(
            m_model->filter().isEmpty()
                ? (m_model->rowCount() == 1 ? tr("1 delivery")
                                            : tr("%L1 deliveries").arg(m_model->rowCount()))
                : (m_model->rowCount() == 1 ? tr("1 delivery matches")
                                            : tr("%L1 deliveries match").arg(m_model->rowCount())));
    m_rateLabel->setText(tr("%1/s").arg(recent / 10.0, 0, 'f', 1));
}

void MainWindow::copySelectedRows()
{
    QModelIndexList rows = m_view->selectionModel()->selectedRows();
    std::sort(rows.begin(), rows.end());
    QStringList lines;
    for (const QModelIndex &row : std::as_const(rows)) {
        QStringList cells;
        for (int column = 0; column < DeliveryListModel::ColumnCount; ++column)
            cells.append(m_model->index(row.row(), column).data().toString());
        lines.append(cells.join(u'\t'));
    }
    QApplication::clipboard()->setText(lines.join(u'\n'));
}

void MainWindow::showEndpointsDialog()
{
    if (!m_endpointsDialog) {
        m_endpointsDialog = new EndpointsDialog(
            *m_queries, m_endpoints,
            m_listener && m_listener->isListening() ? m_listener->url() : QString(), this);
    } else {
        m_endpointsDialog->setEndpoints(m_endpoints);
    }
    m_endpointsDialog->setPublicUrl(m_publicUrl);
    m_endpointsDialog->show();
    m_endpointsDialog->raise();
    m_endpointsDialog->activateWindow();
}

void MainWindow::showSubscribersWindow()
{
    if (!m_storeOpen)
        return;
    if (!m_subscribersWindow) {
        m_subscribersWindow = new SubscribersWindow(*m_queries, this);
        connect(m_subscribersWindow, &SubscribersWindow::openDeliveryRequested, this,
                [this](qint64 id) {
                    selectDelivery(id);
                    raise();
                    activateWindow();
                });
        connect(m_subscribersWindow, &SubscribersWindow::showDeliveriesRequested, this,
                [this](const QString &subscriberId) {
                    // The deliveries that name it as their subscriber; an id the filter
                    // syntax cannot quote is searched for as text.
                    m_filter->setText(subscriberId.contains(u'"')
                                          ? subscriberId
                                          : QStringLiteral("subscriber:\"%1\"").arg(subscriberId));
                    applyFilter();
                    raise();
                    activateWindow();
                });
    } else {
        m_subscribersWindow->reload();
    }
    m_subscribersWindow->show();
    m_subscribersWindow->raise();
    m_subscribersWindow->activateWindow();
}

void MainWindow::exportFixture()
{
    const QList<qint64> ids = selectedIds(1);
    if (ids.size() != 1) {
        statusBar()->showMessage(tr("Select one delivery to export as a test fixture."), 10000);
        return;
    }
    const QString directory = QFileDialog::getExistingDirectory(
        this, tr("Export delivery %1 as a test fixture into").arg(ids.constFirst()));
    if (directory.isEmpty())
        return;
    // The curl command sends to this window's listener, as Copy as curl does.
    const quint16 port = listenerPort() ? listenerPort() : quint16(Listener::DefaultPort);
    m_queries->requestExportFixture(ids.constFirst(), directory,
                                    QUrl(QStringLiteral("http://127.0.0.1:%1").arg(port)));
}

void MainWindow::backUpDatabase()
{
    if (!m_storeOpen)
        return;
    const QString suggested =
        QFileInfo(m_options.databasePath).absolutePath() +
        QStringLiteral("/hookscope-backup-%1.db")
            .arg(QDateTime::currentDateTime().toString(QStringLiteral("yyyyMMdd-HHmmss")));
    const QString path = QFileDialog::getSaveFileName(this, tr("Back up the database"), suggested,
                                                      tr("HookScope databases (*.db)"));
    if (path.isEmpty())
        return;
    statusBar()->showMessage(tr("Backing up to %1…").arg(path));
    m_queries->requestBackup(path);
}

const Endpoint *MainWindow::endpointNamed(const QString &name) const
{
    for (const Endpoint &endpoint : m_endpoints) {
        if (endpoint.name == name)
            return &endpoint;
    }
    return nullptr;
}

void MainWindow::copyAsCurl(bool resign)
{
    if (m_details->deliveryId() == 0) {
        statusBar()->showMessage(tr("Select a delivery first."), 5000);
        return;
    }
    const Delivery &delivery = m_details->details().delivery;
    const QString base = replayBaseUrl();
    QString error;
    const auto replay =
        Replay::prepare(delivery, QUrl(base + delivery.path),
                        resign ? endpointNamed(delivery.endpoint) : nullptr, &error);
    if (!replay || (resign && !endpointNamed(delivery.endpoint))) {
        statusBar()->showMessage(
            tr("Cannot re-sign: %1")
                .arg(error.isEmpty() ? tr("the delivery has no endpoint") : error),
            10000);
        return;
    }
    QApplication::clipboard()->setText(replay->curlCommand(delivery.method));
    statusBar()->showMessage(
        resign ? tr("Copied a re-signed curl command.") : tr("Copied a curl command."), 5000);
}

void MainWindow::showReplayDialog()
{
    if (m_details->deliveryId() == 0) {
        statusBar()->showMessage(tr("Select a delivery first."), 5000);
        return;
    }
    const Delivery &delivery = m_details->details().delivery;
    const QString base = replayBaseUrl();
    delete m_replayDialog;
    m_replayDialog =
        new ReplayDialog(*m_queries, delivery, endpointNamed(delivery.endpoint), base, this);
    m_replayDialog->show();
}

void MainWindow::sendSampleInteractive(const QString &eventType)
{
    if (m_endpoints.isEmpty()) {
        statusBar()->showMessage(tr("Add an endpoint first: a sample is signed with its secret."),
                                 10000);
        return;
    }
    // The picker starts at the endpoint of the selected delivery, else the one last used,
    // else the first with a secret; each says when it has no secret to sign with.
    QString preferred;
    if (m_details->deliveryId() != 0)
        preferred = m_details->details().delivery.endpoint;
    if (!endpointNamed(preferred))
        preferred = QSettings().value(QStringLiteral("sample/endpoint")).toString();
    if (!endpointNamed(preferred)) {
        const auto withSecret = std::find_if(m_endpoints.cbegin(), m_endpoints.cend(),
                                             [](const Endpoint &e) { return e.hasSecret(); });
        preferred =
            (withSecret != m_endpoints.cend() ? *withSecret : m_endpoints.constFirst()).name;
    }
    QStringList items;
    int current = 0;
    for (const Endpoint &endpoint : std::as_const(m_endpoints)) {
        if (endpoint.name == preferred)
            current = int(items.size());
        items.append(endpoint.hasSecret() || endpoint.scheme == SignatureScheme::None
                         ? endpoint.name
                         : tr("%1 (no secret: cannot sign)").arg(endpoint.name));
    }
    bool ok = true;
    QString name = preferred;
    if (m_endpoints.size() > 1) {
        const QString chosen = QInputDialog::getItem(this, tr("Send sample"), tr("Endpoint:"),
                                                     items, current, false, &ok);
        if (!ok)
            return;
        name = m_endpoints.at(items.indexOf(chosen)).name;
    }
    QSettings().setValue(QStringLiteral("sample/endpoint"), name);
    // An auto endpoint takes the scheme from the headers: the sample needs one chosen.
    std::optional<SignatureScheme> scheme;
    if (const Endpoint *endpoint = endpointNamed(name);
        endpoint && endpoint->scheme == SignatureScheme::Auto) {
        const QString chosen = QInputDialog::getItem(
            this, tr("Send sample"),
            tr("Endpoint \"%1\" accepts any of these schemes. Sign the sample with:").arg(name),
            SignatureSigner::autoSchemeNames(), 0, false, &ok);
        if (!ok)
            return;
        scheme = schemeFromName(chosen);
    }
    sendSample(eventType, name, scheme);
}

void MainWindow::sendSample(const QString &eventType, const QString &endpointName,
                            std::optional<SignatureScheme> scheme)
{
    const Endpoint *endpoint = endpointNamed(endpointName);
    if (!endpoint || !m_listener || !m_listener->isListening()) {
        statusBar()->showMessage(tr("Start the listener to send a sample to it."), 10000);
        return;
    }
    QString error;
    const auto sample =
        SampleDelivery::build(*endpoint, eventType, QUrl(m_listener->url()), &error, scheme,
                              m_samplesUpdateMapping && m_samplesUpdateMapping->isChecked());
    if (!sample) {
        statusBar()->showMessage(tr("Cannot build the sample: %1").arg(error), 10000);
        return;
    }
    if (!m_sampleSender)
        m_sampleSender = new HttpSender(this);
    m_sampleSender->send(
        QStringLiteral("POST"), sample->url, sample->headers, sample->body,
        [this, eventType](const HttpSender::Answer &answer) {
            statusBar()->showMessage(
                answer.status ? tr("Sample %1 answered %2.").arg(eventType).arg(answer.status)
                              : tr("Sample %1 got no answer: %2").arg(eventType, answer.error),
                10000);
        });
}

void MainWindow::replaySelection(bool resign)
{
    QList<qint64> ids;
    for (const QModelIndex &row : m_view->selectionModel()->selectedRows()) {
        const qint64 id = m_model->data(row, DeliveryListModel::IdRole).toLongLong();
        if (id > 0)
            ids.append(id);
    }
    if (ids.isEmpty()) {
        statusBar()->showMessage(tr("Select the deliveries to replay."), 5000);
        return;
    }
    // Where to, asked every time (the answer given last time first, else the endpoint's
    // forward URL, else this listener), and the count confirmed in the same question.
    const Delivery *shown = m_details->deliveryId() != 0 ? &m_details->details().delivery : nullptr;
    const Endpoint *endpoint = shown ? endpointNamed(shown->endpoint) : nullptr;
    QString suggested = QSettings().value(QStringLiteral("replay/bulkBase")).toString();
    if (suggested.isEmpty() && endpoint && !endpoint->forwardUrl.isEmpty()) {
        const QUrl forward(endpoint->forwardUrl);
        suggested = forward.adjusted(QUrl::RemovePath | QUrl::RemoveQuery).toString();
    }
    if (suggested.isEmpty())
        suggested = replayBaseUrl();
    bool ok = false;
    const QString base =
        QInputDialog::getText(this, tr("Replay %n deliveries", nullptr, int(ids.size())),
                              (ids.size() == 1 ? tr("Replay 1 delivery%2 to this base URL (its "
                                                    "path is added):")
                                               : tr("Replay %1 deliveries%2 to this base URL "
                                                    "(each one's path is added):")
                                                     .arg(ids.size()))
                                  .arg(resign ? tr(", re-signed") : tr(" as recorded")),
                              QLineEdit::Normal, suggested, &ok)
            .trimmed();
    if (!ok || base.isEmpty())
        return;
    const QUrl url(base);
    if (!url.isValid() || (url.scheme() != u"http" && url.scheme() != u"https")) {
        statusBar()->showMessage(
            tr("Not replayed: %1 is not an http:// or https:// URL.").arg(base), 10000);
        return;
    }
    QSettings().setValue(QStringLiteral("replay/bulkBase"), base);
    QString trimmed = base;
    while (trimmed.endsWith(u'/'))
        trimmed.chop(1);
    statusBar()->showMessage((ids.size() == 1
                                  ? tr("Replaying 1 delivery to %1…")
                                  : tr("Replaying %1 deliveries to %2…").arg(ids.size()))
                                 .arg(trimmed));
    m_queries->requestReplayDeliveries(ids, trimmed, resign);
}

QString MainWindow::replayBaseUrl() const
{
    // Replays go to this HookScope's own listener unless the user says otherwise.
    return m_listener && m_listener->isListening()
               ? m_listener->url()
               : QStringLiteral("http://127.0.0.1:%1").arg(m_options.port);
}

void MainWindow::showEventsView()
{
    if (!m_storeOpen)
        return;
    if (!m_eventsView) {
        m_eventsView = new EventsView(*m_queries, this);
        m_eventsView->setReadOnly(m_readOnly);
        connect(m_eventsView, &EventsView::filterRequested, this, [this](const QString &filter) {
            m_filter->setText(filter);
            applyFilter();
            raise();
            activateWindow();
        });
    }
    // Showing it asks for what it shows.
    if (m_eventsView->isVisible())
        m_eventsView->reload();
    m_eventsView->show();
    m_eventsView->raise();
    m_eventsView->activateWindow();
}

void MainWindow::onSchemasLearned(int drifted)
{
    m_schemaDrifted = m_schemaDrifted || drifted > 0;
    if (!m_schemaTimer->isActive())
        m_schemaTimer->start();
}

QList<qint64> MainWindow::selectedIds(int limit) const
{
    // From the selection's ranges rather than selectedRows(), which lists every row of a
    // selection of thousands.
    QList<int> rows;
    for (const QItemSelectionRange &range : m_view->selectionModel()->selection()) {
        for (int row = range.top(); row <= range.bottom(); ++row) {
            if (!rows.contains(row))
                rows.append(row);
            if (rows.size() > limit)
                break;
        }
        if (rows.size() > limit)
            break;
    }
    std::sort(rows.begin(), rows.end());
    QList<qint64> ids;
    for (int row : std::as_const(rows))
        ids.append(m_model->data(m_model->index(row, 0), DeliveryListModel::IdRole).toLongLong());
    return ids;
}

void MainWindow::updateCompareAction()
{
    if (!m_compareAction)
        return;
    const QList<qint64> ids = selectedIds(2);
    const bool loaded = std::all_of(ids.cbegin(), ids.cend(), [](qint64 id) { return id > 0; });
    if (ids.size() == 2 && loaded) {
        m_compareSingle = 0;
        m_compareAction->setEnabled(true);
        m_compareAction->setToolTip(
            tr("Compare deliveries %1 and %2").arg(ids.constFirst()).arg(ids.constLast()));
        return;
    }
    if (ids.size() == 1 && loaded) {
        if (ids.constFirst() != m_compareSingle) {
            m_compareSingle = ids.constFirst();
            m_comparePrevious = 0;
            m_compareAction->setEnabled(false);
            m_compareAction->setToolTip(tr("Looking for the delivery before it…"));
            m_queries->requestPreviousDelivery(m_compareSingle);
            return;
        }
        // The answer arrived: m_comparePrevious says.
        m_compareAction->setEnabled(m_comparePrevious > 0);
        m_compareAction->setToolTip(
            m_comparePrevious > 0
                ? tr("Compare delivery %1 with the one before it, %2")
                      .arg(m_compareSingle)
                      .arg(m_comparePrevious)
                : tr("No earlier attempt of this event, nor earlier delivery of its event type "
                     "on its endpoint, to compare with"));
        return;
    }
    m_compareSingle = 0;
    m_comparePrevious = 0;
    m_compareAction->setEnabled(false);
    m_compareAction->setToolTip(
        tr("Select two deliveries to compare, or one to compare with the one before it"));
}

CompareDialog *MainWindow::compareDialog() const
{
    return m_compareDialog;
}

void MainWindow::compareSelection()
{
    const QList<qint64> ids = selectedIds(2);
    qint64 first = 0;
    qint64 second = 0;
    if (ids.size() == 2 && ids.constFirst() > 0 && ids.constLast() > 0) {
        first = ids.constFirst();
        second = ids.constLast();
    } else if (ids.size() == 1 && ids.constFirst() == m_compareSingle && m_comparePrevious > 0) {
        first = m_comparePrevious;
        second = m_compareSingle;
    } else {
        statusBar()->showMessage(m_compareAction->toolTip(), 8000);
        return;
    }
    auto *dialog = new CompareDialog(*m_queries, first, second, this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    m_compareDialog = dialog;
    dialog->show();
}
