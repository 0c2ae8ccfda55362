#include "deliverydetailview.h"

#include "plaintooltip.h"

#include "deliveryjson.h"
#include "jsonhighlighter.h"
#include "verdictstyle.h"

#include <QAction>
#include <QApplication>
#include <QClipboard>
#include <QComboBox>
#include <QDateTime>
#include <QFontDatabase>
#include <QFormLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QMenu>
#include <QPlainTextEdit>
#include <QScrollArea>
#include <QTableWidget>
#include <QTreeWidget>
#include <QVBoxLayout>

namespace {

QLabel *plainLabel(QWidget *parent = nullptr)
{
    auto *label = new QLabel(parent);
    label->setTextFormat(Qt::PlainText);
    label->setTextInteractionFlags(Qt::TextSelectableByMouse | Qt::TextSelectableByKeyboard);
    label->setWordWrap(true);
    return label;
}

// A form row's title: plain text like every label here.
QLabel *titleLabel(const QString &text)
{
    QLabel *title = plainLabel();
    title->setWordWrap(false);
    title->setText(text);
    return title;
}

QFont monospace()
{
    return QFontDatabase::systemFont(QFontDatabase::FixedFont);
}

constexpr int BigBodyForHighlighting = 1024 * 1024;
constexpr int MaxFieldsShown = 20000;

} // namespace

DeliveryDetailView::DeliveryDetailView(QWidget *parent)
    : QTabWidget(parent)
{
    // Tab mnemonics (O, D, B, I) stay clear of the menus' (F, E, V, L, H).
    addTab(buildOverview(), tr("&Overview"));

    m_headers = new QTableWidget(0, 2, this);
    m_headers->setHorizontalHeaderLabels({tr("Name"), tr("Value")});
    m_headers->horizontalHeader()->setStretchLastSection(true);
    m_headers->verticalHeader()->hide();
    m_headers->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_headers->setWordWrap(false);
    m_headers->setObjectName(QStringLiteral("headersTable"));
    addTab(m_headers, tr("Hea&ders"));

    addTab(buildBody(), tr("&Body"));

    m_fields = new QTreeWidget(this);
    m_fields->setObjectName(QStringLiteral("fieldsTree"));
    m_fields->setHeaderLabels({tr("Field"), tr("Type"), tr("Value")});
    m_fields->setUniformRowHeights(true);
    m_fields->setContextMenuPolicy(Qt::CustomContextMenu);
    connect(m_fields, &QWidget::customContextMenuRequested, this, [this](const QPoint &pos) {
        QTreeWidgetItem *item = m_fields->itemAt(pos);
        if (!item)
            return;
        QMenu menu;
        menu.addAction(tr("Copy &value"), this,
                       [item] { QApplication::clipboard()->setText(item->text(2)); });
        menu.addAction(tr("Copy &path"), this, [item] {
            QApplication::clipboard()->setText(item->data(0, Qt::UserRole).toString());
        });
        menu.exec(m_fields->viewport()->mapToGlobal(pos));
    });
    addTab(m_fields, tr("F&ields"));

    auto *copy = new QAction(tr("Copy"), this);
    copy->setShortcut(QKeySequence::Copy);
    copy->setShortcutContext(Qt::WidgetWithChildrenShortcut);
    connect(copy, &QAction::triggered, this, &DeliveryDetailView::copySelection);
    m_headers->addAction(copy);
    m_fields->addAction(copy);
    auto *copyPath = new QAction(tr("Copy path"), this);
    copyPath->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_C));
    copyPath->setShortcutContext(Qt::WidgetWithChildrenShortcut);
    connect(copyPath, &QAction::triggered, this, [this] {
        if (QTreeWidgetItem *item = m_fields->currentItem())
            QApplication::clipboard()->setText(item->data(0, Qt::UserRole).toString());
    });
    m_fields->addAction(copyPath);
    clear();
}

QLabel *DeliveryDetailView::addRow(const QString &label)
{
    QLabel *value = plainLabel();
    m_form->addRow(titleLabel(label), value);
    m_rows.append(value);
    return value;
}

QWidget *DeliveryDetailView::buildOverview()
{
    auto *content = new QWidget;
    auto *layout = new QVBoxLayout(content);
    m_verdict = plainLabel();
    m_verdict->setObjectName(QStringLiteral("verdictLabel"));
    QFont big = m_verdict->font();
    big.setPointSizeF(big.pointSizeF() * 1.8);
    big.setBold(true);
    m_verdict->setFont(big);
    m_reason = plainLabel();
    m_reason->setObjectName(QStringLiteral("reasonLabel"));
    m_diagnosis = plainLabel();
    m_diagnosis->setObjectName(QStringLiteral("diagnosisLabel"));
    QFont bold = m_diagnosis->font();
    bold.setBold(true);
    m_diagnosis->setFont(bold);
    layout->addWidget(m_verdict);
    layout->addWidget(m_reason);
    layout->addWidget(m_diagnosis);

    m_formWidget = new QWidget(content);
    m_form = new QFormLayout(m_formWidget);
    m_form->setContentsMargins(0, 0, 0, 0);
    m_form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    m_scheme = addRow(tr("Scheme"));
    // Signed bytes and signatures have no spaces to wrap at: the signed string wraps anywhere
    // in a box of a few lines that scrolls, the signatures sit in one-line fields that scroll;
    // all are monospaced and selectable, and none widens the pane.
    m_signed = new QPlainTextEdit(m_formWidget);
    m_signed->setObjectName(QStringLiteral("signedString"));
    m_signed->setReadOnly(true);
    m_signed->setFont(monospace());
    m_signed->setLineWrapMode(QPlainTextEdit::WidgetWidth);
    m_signed->setWordWrapMode(QTextOption::WrapAnywhere);
    m_signed->setMaximumHeight(QFontMetrics(monospace()).lineSpacing() * 4 + 10);
    m_signed->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    m_form->addRow(titleLabel(tr("Signed string")), m_signed);
    for (QLineEdit **field : {&m_expected, &m_received}) {
        *field = new QLineEdit(m_formWidget);
        (*field)->setReadOnly(true);
        (*field)->setFont(monospace());
        (*field)->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Fixed);
        (*field)->setCursorPosition(0);
    }
    m_expected->setObjectName(QStringLiteral("expectedSignature"));
    m_received->setObjectName(QStringLiteral("receivedSignature"));
    m_form->addRow(titleLabel(tr("Expected")), m_expected);
    m_form->addRow(titleLabel(tr("Received")), m_received);
    m_timestamp = addRow(tr("Timestamp"));
    m_secret = addRow(tr("Secret"));
    m_event = addRow(tr("Event"));
    m_drift = addRow(tr("Drift"));
    m_drift->setObjectName(QStringLiteral("driftLabel"));
    m_provider = addRow(tr("Provider"));
    m_subscriber = addRow(tr("Subscriber"));
    m_endpoint = addRow(tr("Endpoint"));
    m_request = addRow(tr("Request"));
    m_answer = addRow(tr("Answered"));
    layout->addWidget(m_formWidget);

    m_attemptsTitle = plainLabel(content);
    m_attemptsTitle->setText(tr("Attempts with the same event id (double-click to open):"));
    layout->addWidget(m_attemptsTitle);
    m_attempts = new QListWidget(content);
    m_attempts->setObjectName(QStringLiteral("attemptsList"));
    m_attempts->setMaximumHeight(140);
    connect(m_attempts, &QListWidget::itemActivated, this, [this](QListWidgetItem *item) {
        Q_EMIT deliveryRequested(item->data(Qt::UserRole).toLongLong());
    });
    layout->addWidget(m_attempts);
    m_replaysTitle = plainLabel(content);
    m_replaysTitle->setText(tr("Forwarded and replayed:"));
    layout->addWidget(m_replaysTitle);
    m_replays = new QListWidget(content);
    m_replays->setObjectName(QStringLiteral("replaysList"));
    m_replays->setMaximumHeight(110);
    layout->addWidget(m_replays);
    layout->addStretch();

    auto *scroll = new QScrollArea;
    scroll->setWidget(content);
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    scroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    return scroll;
}

QWidget *DeliveryDetailView::buildBody()
{
    auto *page = new QWidget;
    auto *layout = new QVBoxLayout(page);
    auto *top = new QHBoxLayout;
    m_bodyMode = new QComboBox(page);
    m_bodyMode->addItems({tr("Pretty JSON"), tr("Raw text"), tr("Hex")});
    m_bodyMode->setObjectName(QStringLiteral("bodyMode"));
    m_bodyNote = plainLabel(page);
    top->addWidget(m_bodyMode);
    top->addWidget(m_bodyNote, 1);
    layout->addLayout(top);
    m_body = new QPlainTextEdit(page);
    m_body->setObjectName(QStringLiteral("bodyText"));
    m_body->setReadOnly(true);
    m_body->setFont(monospace());
    m_body->setLineWrapMode(QPlainTextEdit::NoWrap);
    layout->addWidget(m_body, 1);
    connect(m_bodyMode, &QComboBox::currentIndexChanged, this, &DeliveryDetailView::showBodyMode);
    return page;
}

void DeliveryDetailView::clear()
{
    m_id = 0;
    m_details = DeliveryDetails();
    showMessage(tr("Select a delivery to see it here."));
}

void DeliveryDetailView::showMessage(const QString &message)
{
    m_verdict->setText(QString());
    m_reason->setText(message);
    m_diagnosis->clear();
    m_diagnosis->hide();
    // With no delivery shown, the overview is the message alone.
    for (QLabel *label : std::as_const(m_rows))
        label->clear();
    m_formWidget->hide();
    m_attempts->clear();
    m_attemptsTitle->hide();
    m_attempts->hide();
    m_replays->clear();
    m_replaysTitle->hide();
    m_replays->hide();
    m_headers->setRowCount(0);
    m_body->clear();
    m_bodyNote->clear();
    m_fields->clear();
}

QString DeliveryDetailView::verdictText() const
{
    return m_verdict->text();
}

QString DeliveryDetailView::reasonText() const
{
    return m_reason->text();
}

QString DeliveryDetailView::eventText() const
{
    return m_event->text();
}

QString DeliveryDetailView::providerText() const
{
    return m_provider->text();
}

void DeliveryDetailView::showDetails(const DeliveryDetails &details)
{
    m_details = details;
    const Delivery &d = details.delivery;
    const Verification &v = d.verification;
    m_id = d.id;

    m_verdict->setText(VerdictStyle::word(v.verdict).toUpper());
    QPalette verdictPalette = m_verdict->palette();
    verdictPalette.setColor(QPalette::WindowText, VerdictStyle::color(v.verdict, palette()));
    m_verdict->setPalette(verdictPalette);
    m_reason->setText(v.reason.isEmpty() && v.verdict == Verdict::Valid
                          ? tr("The signature matches and the timestamp is within tolerance.")
                          : v.reason);
    m_diagnosis->setText(v.diagnosis.isEmpty() ? QString()
                                               : tr("Likely cause: %1").arg(v.diagnosis));
    m_diagnosis->setVisible(!v.diagnosis.isEmpty());

    m_scheme->setText(v.scheme.isEmpty() ? tr("—") : v.scheme);
    m_signed->setPlainText(v.signedString);
    m_expected->setText(v.expected);
    m_received->setText(v.received);
    m_expected->setCursorPosition(0);
    m_received->setCursorPosition(0);
    m_form->setRowVisible(m_signed, !v.signedString.isEmpty());
    m_form->setRowVisible(m_expected, !v.expected.isEmpty());
    m_form->setRowVisible(m_received, !v.received.isEmpty());
    m_timestamp->setText(
        v.timestamp ? tr("%1 (%2), skew %3 s")
                          .arg(*v.timestamp)
                          .arg(QDateTime::fromSecsSinceEpoch(*v.timestamp).toString(Qt::ISODate))
                          .arg(v.skewSeconds.value_or(0))
                    : QString());
    m_secret->setText(v.matchedSecret);
    // The stored type and id, with where they came from when the provider's table still
    // finds them there.
    const ProviderMetadata::Identity &identity = details.identity;
    auto from = [](const QString &source) {
        return source.isEmpty() ? QString() : tr(" (%1)").arg(source);
    };
    m_event->setText(d.eventType.isEmpty() && d.eventId.isEmpty()
                         ? QString()
                         : tr("%1%2 · id %3%4")
                               .arg(d.eventType.isEmpty() ? tr("no type") : d.eventType,
                                    from(identity.typeSourceOf(d.eventType)),
                                    d.eventId.isEmpty() ? tr("none") : d.eventId,
                                    from(identity.idSourceOf(d.eventId))));
    QStringList found;
    for (const ProviderMetadata::Found &detail : identity.details)
        found.append(tr("%1 %2").arg(detail.label, detail.value));
    const QString providerName = identity.provider == SignatureScheme::Auto
                                     ? tr("not recognised")
                                     : schemeName(identity.provider);
    m_provider->setText(found.isEmpty()
                            ? providerName
                            : tr("%1: %2").arg(providerName, found.join(QStringLiteral(" · "))));
    m_subscriber->setText(d.subscriberId);
    m_driftPending = !details.drift.has_value();
    const QString type = d.eventType.isEmpty() ? tr("untyped") : d.eventType;
    if (!details.drift) {
        m_drift->setText(tr("not learned yet"));
    } else if (details.drift->isEmpty()) {
        m_drift->setText(
            details.payload.format == DecodedPayload::Format::Json
                ? tr("none: it carries what the %1 deliveries before it carried").arg(type)
                : tr("none (only JSON bodies are learned)"));
    } else {
        QStringList lines;
        for (const SchemaDrift &drift : *details.drift) {
            const QString path = drift.path.isEmpty() ? tr("(body)") : drift.path;
            switch (drift.kind) {
            case SchemaDrift::Kind::NewField:
                lines.append(tr("new field %1 (%2)").arg(path, drift.now));
                break;
            case SchemaDrift::Kind::Missing:
                lines.append(
                    tr("missing %1 (every earlier one had it, %2)").arg(path, drift.before));
                break;
            case SchemaDrift::Kind::TypeChanged:
                lines.append(tr("%1 is %2, was %3").arg(path, drift.now, drift.before));
                break;
            }
        }
        m_drift->setText(tr("from the %1 deliveries before it: ").arg(type) +
                         lines.join(QStringLiteral("; ")));
    }
    m_endpoint->setText(d.endpoint.isEmpty() ? tr("none covers this path") : d.endpoint);
    m_request->setText((d.source == u"ngrok" ? tr("Recovered from ngrok's history: ") : QString()) +
                       tr("%1 %2 HTTP/%3 from %4 at %5")
                           .arg(d.method, d.path, d.httpVersion, d.remoteAddress,
                                DeliveryJson::timestamp(d.receivedAtMs)));
    m_answer->setText(tr("%1, stored %2 ms after the request")
                          .arg(d.responseStatus)
                          .arg(d.handlingMicros / 1000.0, 0, 'f', 2));

    m_attempts->clear();
    for (const DeliverySummary &attempt : details.attempts) {
        auto *item =
            new QListWidgetItem(VerdictStyle::icon(attempt.verdict),
                                tr("#%1  %2  %3  answered %4%5")
                                    .arg(attempt.id)
                                    .arg(QDateTime::fromMSecsSinceEpoch(attempt.receivedAtMs)
                                             .toString(QStringLiteral("yyyy-MM-dd HH:mm:ss")),
                                         VerdictStyle::word(attempt.verdict))
                                    .arg(attempt.responseStatus)
                                    .arg(attempt.id == d.id ? tr("  (this one)") : QString()),
                                m_attempts);
        item->setData(Qt::UserRole, attempt.id);
    }

    // Trailers (sent after a chunked body) follow the headers, marked as such.
    m_headers->setRowCount(static_cast<int>(d.headers.size() + d.trailers.size()));
    int row = 0;
    for (const auto &[name, value] : d.headers.entries()) {
        m_headers->setItem(row, 0, new QTableWidgetItem(QString::fromLatin1(name)));
        m_headers->setItem(row, 1, new QTableWidgetItem(QString::fromLatin1(value)));
        ++row;
    }
    for (const auto &[name, value] : d.trailers.entries()) {
        m_headers->setItem(row, 0,
                           new QTableWidgetItem(tr("%1 (trailer)").arg(QString::fromLatin1(name))));
        m_headers->setItem(row, 1, new QTableWidgetItem(QString::fromLatin1(value)));
        ++row;
    }
    m_headers->resizeColumnToContents(0);

    const bool hasPretty = !details.prettyBody.isEmpty();
    const bool hasText = !details.bodyText.isEmpty() || d.body.isEmpty();
    m_bodyMode->blockSignals(true);
    m_bodyMode->setCurrentIndex(hasPretty ? 0 : hasText ? 1 : 2);
    m_bodyMode->blockSignals(false);
    showBodyMode();

    m_fields->clear();
    // Fields come in document order, parents before children: a stack of open containers
    // gives each field its parent.
    QList<QTreeWidgetItem *> open;
    int shown = 0;
    for (const DecodedField &field : details.payload.fields) {
        if (shown++ >= MaxFieldsShown) {
            new QTreeWidgetItem(m_fields,
                                {tr("… %1 more fields not shown")
                                     .arg(details.payload.fields.size() - MaxFieldsShown)});
            break;
        }
        const int depth = PayloadDecoder::pathDepth(field.path);
        if (depth == 0 && field.path.isEmpty() &&
            (field.type == u"object" || field.type == u"array")) {
            open = {nullptr};
            continue; // the document itself
        }
        while (open.size() > depth)
            open.removeLast();
        QTreeWidgetItem *parent = open.isEmpty() ? nullptr : open.constLast();
        const QString name = field.path.endsWith(u']')
                                 ? field.path.mid(field.path.lastIndexOf(u'['))
                                 : field.path.mid(field.path.lastIndexOf(u'.') + 1);
        auto *item = parent ? new QTreeWidgetItem(parent) : new QTreeWidgetItem(m_fields);
        item->setText(0, depth <= 1 || !parent ? field.path : name);
        item->setData(0, Qt::UserRole, field.path);
        item->setToolTip(0, plainToolTip(field.path));
        item->setText(1, field.type);
        item->setText(2, field.value);
        if (field.type == u"object" || field.type == u"array") {
            while (open.size() < depth)
                open.append(nullptr);
            open.append(item);
        }
    }
    // Rows with nothing to say are hidden rather than shown empty.
    for (QLabel *label : std::as_const(m_rows))
        m_form->setRowVisible(label, !label->text().isEmpty());
    m_formWidget->show();
    m_replays->clear();
    for (const Replay &replay : details.replays) {
        const QString when = QDateTime::fromMSecsSinceEpoch(replay.sentAtMs)
                                 .toString(QStringLiteral("yyyy-MM-dd HH:mm:ss"));
        const QString what = replay.kind == u"forward" ? tr("forwarded") : tr("replayed");
        const QString outcome =
            replay.status ? tr("answered %1 in %2 ms").arg(replay.status).arg(replay.latencyMs)
                          : tr("no answer: %1").arg(replay.error);
        new QListWidgetItem(tr("%1  %2 to %3%4  %5")
                                .arg(when, what, replay.url.toString(),
                                     replay.resigned ? tr(" (re-signed)") : QString(), outcome),
                            m_replays);
    }
    m_replaysTitle->setVisible(!details.replays.isEmpty());
    m_replays->setVisible(!details.replays.isEmpty());
    m_attemptsTitle->setVisible(!details.attempts.isEmpty());
    m_attempts->setVisible(!details.attempts.isEmpty());

    m_fields->expandToDepth(1);
    m_fields->resizeColumnToContents(0);
    if (details.payload.fields.isEmpty()) {
        new QTreeWidgetItem(m_fields, {details.payload.error.isEmpty()
                                           ? tr("The body has no decodable fields (%1).")
                                                 .arg(formatName(details.payload.format))
                                           : tr("The body is %1.").arg(details.payload.error)});
    }
}

QString DeliveryDetailView::driftText() const
{
    return m_drift->text();
}

void DeliveryDetailView::showBodyMode()
{
    const Delivery &d = m_details.delivery;
    delete m_highlighter;
    m_highlighter = nullptr;
    QString note = tr("%1 bytes").arg(d.body.size());
    switch (m_bodyMode->currentIndex()) {
    case 0:
        if (m_details.prettyBody.isEmpty()) {
            m_body->setPlainText(m_details.payload.error.isEmpty()
                                     ? tr("The body is not JSON.")
                                     : tr("The body is %1.").arg(m_details.payload.error));
        } else {
            if (m_details.prettyBody.size() < BigBodyForHighlighting)
                m_highlighter = new JsonHighlighter(m_body->document());
            m_body->setPlainText(m_details.prettyBody);
            note += tr(", indented for reading; values exactly as sent");
        }
        break;
    case 1:
        m_body->setPlainText(m_details.bodyText.isEmpty() && !d.body.isEmpty()
                                 ? tr("The body is binary or not UTF-8: see Hex.")
                                 : m_details.bodyText);
        if (m_details.bodyTruncated)
            note += tr(", first %1 shown").arg(m_details.bodyText.size());
        break;
    default:
        // Sixteen bytes a line when the pane has room for them, eight otherwise: the ASCII
        // column is never cut off.
        m_hexNarrow = !fitsWideHex();
        m_body->setPlainText(m_hexNarrow ? m_details.narrowHexDump : m_details.hexDump);
        break;
    }
    m_bodyNote->setText(note);
}

bool DeliveryDetailView::fitsWideHex() const
{
    // A 16-byte line: offset, 16 hex pairs, the gaps and 16 ASCII characters.
    const int wide = QFontMetrics(m_body->font()).horizontalAdvance(QString(78, u'0'));
    return m_body->viewport()->width() >= wide + 8;
}

void DeliveryDetailView::resizeEvent(QResizeEvent *event)
{
    QTabWidget::resizeEvent(event);
    if (m_bodyMode && m_bodyMode->currentIndex() == 2 && m_hexNarrow == fitsWideHex())
        showBodyMode();
}

QString DeliveryDetailView::bodyText() const
{
    return m_body->toPlainText();
}

void DeliveryDetailView::copySelection()
{
    if (m_headers->hasFocus()) {
        QStringList lines;
        const QList<QTableWidgetSelectionRange> ranges = m_headers->selectedRanges();
        for (const QTableWidgetSelectionRange &range : ranges) {
            for (int row = range.topRow(); row <= range.bottomRow(); ++row)
                lines.append(m_headers->item(row, 0)->text() + QStringLiteral(": ") +
                             m_headers->item(row, 1)->text());
        }
        QApplication::clipboard()->setText(lines.join(u'\n'));
    } else if (m_fields->hasFocus()) {
        if (QTreeWidgetItem *item = m_fields->currentItem())
            QApplication::clipboard()->setText(item->text(2));
    }
}
