#include "replaydialog.h"

#include "bodyformatter.h"
#include "httpsender.h"
#include "queryservice.h"
#include "replay.h"
#include "signaturesigner.h"

#include <QCheckBox>
#include <QDateTime>
#include <QDialogButtonBox>
#include <QFontDatabase>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSettings>
#include <QVBoxLayout>

namespace {

// Headers one a line, as the headers box takes them.
QString headersText(const HeaderList &headers)
{
    return QString::fromLatin1(headers.serialize())
        .replace(QStringLiteral("\r\n"), QStringLiteral("\n"))
        .trimmed();
}

} // namespace

ReplayDialog::ReplayDialog(QueryService &queries, const Delivery &delivery,
                           const Endpoint *endpoint, const QString &defaultBaseUrl, QWidget *parent)
    : QDialog(parent)
    , m_queries(queries)
    , m_delivery(delivery)
    , m_sender(new HttpSender(this))
{
    if (endpoint)
        m_endpoint = *endpoint;
    setWindowTitle(tr("Replay delivery %1").arg(delivery.id));
    resize(760, 640);
    setMinimumSize(520, 420);
    const QFont fixed = QFontDatabase::systemFont(QFontDatabase::FixedFont);
    m_url = new QLineEdit(defaultUrl(endpoint, delivery.path, defaultBaseUrl), this);
    m_url->setObjectName(QStringLiteral("replayUrl"));
    // The scheme a re-signed replay would use: the endpoint's, or for an auto endpoint the one
    // the delivery verified with.
    QString signError;
    const auto scheme =
        m_endpoint ? SignatureSigner::schemeToSign(*m_endpoint, delivery.verification.scheme,
                                                   std::nullopt, &signError)
                   : std::nullopt;
    const bool canSign = scheme && m_endpoint->hasSecret();
    m_resign = new QCheckBox(
        canSign       ? tr("Re-sign now with %1 (%2)").arg(m_endpoint->name, schemeName(*scheme))
        : !m_endpoint ? tr("Re-sign (the delivery belongs to no endpoint)")
        : !scheme     ? tr("Re-sign (%1)").arg(signError)
                      : tr("Re-sign (endpoint \"%1\" has no secret)").arg(m_endpoint->name),
        this);
    m_resign->setObjectName(QStringLiteral("replayResign"));
    m_resign->setEnabled(canSign);
    m_resign->setChecked(
        canSign &&
        QSettings().value(QStringLiteral("replay/resign/") + m_endpoint->name, false).toBool());
    m_headers = new QPlainTextEdit(QString::fromLatin1(delivery.headers.serialize())
                                       .replace(QStringLiteral("\r\n"), QStringLiteral("\n"))
                                       .trimmed(),
                                   this);
    m_headers->setFont(fixed);
    m_headers->setMaximumHeight(150);
    m_body = new QPlainTextEdit(QString::fromUtf8(delivery.body), this);
    m_body->setFont(fixed);
    m_result = new QLabel(this);
    m_result->setObjectName(QStringLiteral("replayResult"));
    m_result->setTextFormat(Qt::PlainText);
    m_result->setWordWrap(true);
    m_result->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_answer = new QPlainTextEdit(this);
    m_answer->setObjectName(QStringLiteral("replayAnswer"));
    m_answer->setReadOnly(true);
    m_answer->setFont(fixed);
    m_answer->setPlaceholderText(tr("What was sent and the whole answer show here."));

    auto *form = new QFormLayout;
    form->addRow(tr("&URL"), m_url);
    form->addRow(QString(), m_resign);
    form->addRow(tr("&Headers"), m_headers);
    form->addRow(tr("&Body"), m_body);
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    QPushButton *sendButton = buttons->addButton(tr("&Send"), QDialogButtonBox::AcceptRole);
    sendButton->setDefault(true);
    connect(sendButton, &QPushButton::clicked, this, &ReplayDialog::send);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(form, 1);
    layout->addWidget(m_result);
    layout->addWidget(m_answer, 1);
    layout->addWidget(buttons);
}

QString ReplayDialog::defaultUrl(const Endpoint *endpoint, const QString &path,
                                 const QString &ownBaseUrl)
{
    if (endpoint) {
        const QString last =
            QSettings().value(QStringLiteral("replay/url/") + endpoint->name).toString();
        if (!last.isEmpty())
            return last;
        if (!endpoint->forwardUrl.isEmpty())
            return endpoint->forwardUrl;
    }
    return ownBaseUrl + path;
}

void ReplayDialog::rememberUrl(const QString &endpointName, const QString &url)
{
    if (!endpointName.isEmpty())
        QSettings().setValue(QStringLiteral("replay/url/") + endpointName, url);
}

QString ReplayDialog::answerText() const
{
    return m_answer->toPlainText();
}

QString ReplayDialog::urlText() const
{
    return m_url->text();
}

QString ReplayDialog::resultText() const
{
    return m_result->text();
}

void ReplayDialog::send()
{
    const QUrl url(m_url->text().trimmed());
    if (!url.isValid() || (url.scheme() != u"http" && url.scheme() != u"https")) {
        m_result->setText(tr("The URL must start with http:// or https://."));
        return;
    }
    HeaderList headers;
    for (const QString &line : m_headers->toPlainText().split(u'\n', Qt::SkipEmptyParts)) {
        const qsizetype colon = line.indexOf(u':');
        if (colon <= 0) {
            m_result->setText(
                tr("Each header is a line \"Name: value\"; \"%1\" is not.").arg(line));
            return;
        }
        headers.append(line.left(colon).trimmed().toLatin1(),
                       line.mid(colon + 1).trimmed().toLatin1());
    }
    // The body as edited; untouched, the recorded bytes exactly (the editor would normalise
    // invalid UTF-8).
    const QByteArray body = m_body->toPlainText() == QString::fromUtf8(m_delivery.body)
                                ? m_delivery.body
                                : m_body->toPlainText().toUtf8();
    QString error;
    auto replay = Replay::prepare(m_delivery, url,
                                  m_resign->isChecked() && m_endpoint ? &*m_endpoint : nullptr,
                                  &error, body, headers);
    if (!replay) {
        m_result->setText(error);
        return;
    }
    replay->sentAtMs = QDateTime::currentMSecsSinceEpoch();
    rememberUrl(m_delivery.endpoint, m_url->text().trimmed());
    if (!m_delivery.endpoint.isEmpty())
        QSettings().setValue(QStringLiteral("replay/resign/") + m_delivery.endpoint,
                             m_resign->isChecked());
    // The headers box shows what is sent: a re-signed replay's new signature replaces the old.
    m_headers->setPlainText(headersText(replay->requestHeaders));
    m_result->setText(tr("Sending…"));
    m_answer->clear();
    const Replay prepared = *replay;
    m_sender->send(
        m_delivery.method, replay->url, replay->requestHeaders, replay->requestBody,
        [this, prepared](const HttpSender::Answer &answer) {
            Replay done = prepared;
            done.status = answer.status;
            done.responseHeaders = answer.headers;
            done.responseBody = answer.body;
            done.latencyMs = answer.latencyMs;
            done.error = answer.error;
            m_queries.requestStoreReplay(done);
            m_result->setText(
                answer.status ? tr("Answered %1 in %2 ms.").arg(answer.status).arg(answer.latencyMs)
                              : tr("No answer: %1").arg(answer.error));
            QString text = tr("Sent %1 %2\n%3\n\n")
                               .arg(m_delivery.method, prepared.url.toString(),
                                    headersText(prepared.requestHeaders));
            if (answer.status) {
                text += tr("Answer: HTTP %1\n%2\n\n%3")
                            .arg(answer.status)
                            .arg(headersText(answer.headers),
                                 BodyFormatter::isText(answer.body)
                                     ? QString::fromUtf8(answer.body)
                                     : Verification::displayBytes(answer.body, 1024 * 1024));
            } else {
                text += tr("No answer: %1").arg(answer.error);
            }
            m_answer->setPlainText(text);
        });
}
