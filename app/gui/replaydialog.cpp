#include "replaydialog.h"

#include "httpsender.h"
#include "queryservice.h"
#include "replay.h"

#include <QCheckBox>
#include <QDateTime>
#include <QDialogButtonBox>
#include <QFontDatabase>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QVBoxLayout>

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
    resize(760, 560);
    const QFont fixed = QFontDatabase::systemFont(QFontDatabase::FixedFont);
    m_url = new QLineEdit(defaultBaseUrl + delivery.path, this);
    m_url->setObjectName(QStringLiteral("replayUrl"));
    m_resign = new QCheckBox(
        m_endpoint && m_endpoint->hasSecret() && m_endpoint->scheme != SignatureScheme::None &&
                m_endpoint->scheme != SignatureScheme::Auto
            ? tr("Re-sign now with %1 (%2)").arg(m_endpoint->name, schemeName(m_endpoint->scheme))
            : tr("Re-sign (the endpoint has no scheme and secret to sign with)"),
        this);
    m_resign->setObjectName(QStringLiteral("replayResign"));
    m_resign->setEnabled(m_endpoint && m_endpoint->hasSecret());
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
    layout->addWidget(buttons);
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
    m_result->setText(tr("Sending…"));
    const Replay prepared = *replay;
    m_sender->send(m_delivery.method, replay->url, replay->requestHeaders, replay->requestBody,
                   [this, prepared](const HttpSender::Answer &answer) {
                       Replay done = prepared;
                       done.status = answer.status;
                       done.responseHeaders = answer.headers;
                       done.responseBody = answer.body;
                       done.latencyMs = answer.latencyMs;
                       done.error = answer.error;
                       m_queries.requestStoreReplay(done);
                       m_result->setText(answer.status
                                             ? tr("Answered %1 in %2 ms:\n%3")
                                                   .arg(answer.status)
                                                   .arg(answer.latencyMs)
                                                   .arg(QString::fromUtf8(answer.body.left(2000)))
                                             : tr("No answer: %1").arg(answer.error));
                   });
}
