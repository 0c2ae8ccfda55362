#include "endpointsdialog.h"

#include "queryservice.h"
#include "secretvault.h"

#include <QApplication>
#include <QCheckBox>
#include <QClipboard>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QScrollArea>
#include <QSpinBox>
#include <QTableWidget>
#include <QVBoxLayout>

namespace {

QString whereSecretsGo()
{
    if (!SecretVault::instance().enabled())
        return EndpointsDialog::tr("Secrets are saved to the database file, as "
                                   "HOOKSCOPE_SECRET_STORAGE=database asks.");
    return EndpointsDialog::tr("Secrets are saved to the desktop keychain when one is available, "
                               "otherwise to the database file.");
}

} // namespace

EndpointsDialog::EndpointsDialog(QueryService &queries, const QList<Endpoint> &endpoints,
                                 const QString &listenerUrl, QWidget *parent)
    : QDialog(parent)
    , m_queries(queries)
    , m_listenerUrl(listenerUrl)
{
    setWindowTitle(tr("Endpoints"));
    resize(880, 760);

    m_list = new QListWidget(this);
    m_list->setObjectName(QStringLiteral("endpointList"));
    m_list->setMaximumWidth(220);
    auto *addButton = new QPushButton(tr("&New"), this);
    auto *removeButton = new QPushButton(tr("&Remove…"), this);
    auto *left = new QVBoxLayout;
    left->addWidget(m_list, 1);
    auto *leftButtons = new QHBoxLayout;
    leftButtons->addWidget(addButton);
    leftButtons->addWidget(removeButton);
    left->addLayout(leftButtons);

    m_name = new QLineEdit(this);
    m_name->setObjectName(QStringLiteral("nameEdit"));
    m_path = new QLineEdit(this);
    m_path->setObjectName(QStringLiteral("pathEdit"));
    m_path->setPlaceholderText(QStringLiteral("/hooks/hostedhooks"));
    m_url = new QLabel(this);
    m_url->setTextFormat(Qt::PlainText);
    m_url->setTextInteractionFlags(Qt::TextSelectableByMouse);
    auto *copyUrl = new QPushButton(tr("Copy"), this);
    auto *urlRow = new QHBoxLayout;
    urlRow->addWidget(m_url, 1);
    urlRow->addWidget(copyUrl);
    m_scheme = new QComboBox(this);
    m_scheme->setObjectName(QStringLiteral("schemeCombo"));
    m_scheme->addItems(schemeNames());
    m_tolerance = new QSpinBox(this);
    m_tolerance->setRange(0, 7 * 86400);
    m_tolerance->setSuffix(tr(" s"));
    m_tolerance->setSpecialValueText(tr("no limit"));

    m_secrets = new QTableWidget(0, 2, this);
    m_secrets->setObjectName(QStringLiteral("secretsTable"));
    m_secrets->setHorizontalHeaderLabels({tr("Label"), tr("Secret")});
    m_secrets->horizontalHeader()->setStretchLastSection(true);
    m_secrets->verticalHeader()->hide();
    m_secrets->setMinimumHeight(m_secrets->fontMetrics().height() * 5);
    m_secrets->setMaximumHeight(130);
    m_reveal = new QCheckBox(tr("Re&veal"), this);
    auto *addSecret = new QPushButton(tr("Add secret"), this);
    auto *removeSecret = new QPushButton(tr("Remove secret"), this);
    auto *secretButtons = new QHBoxLayout;
    secretButtons->addWidget(addSecret);
    secretButtons->addWidget(removeSecret);
    secretButtons->addStretch();
    secretButtons->addWidget(m_reveal);
    m_secretStorage = new QLabel(this);
    m_secretStorage->setObjectName(QStringLiteral("secretStorageLabel"));
    m_secretStorage->setTextFormat(Qt::PlainText);
    m_secretStorage->setWordWrap(true);
    auto *secretsBox = new QVBoxLayout;
    secretsBox->addWidget(m_secrets);
    secretsBox->addLayout(secretButtons);
    secretsBox->addWidget(m_secretStorage);

    auto *form = new QFormLayout;
    form->addRow(tr("&Name"), m_name);
    form->addRow(tr("&Path"), m_path);
    form->addRow(tr("URL"), urlRow);
    form->addRow(tr("&Scheme"), m_scheme);
    form->addRow(tr("&Tolerance"), m_tolerance);
    m_subscriberPath = new QLineEdit(this);
    m_subscriberPath->setObjectName(QStringLiteral("subscriberPathEdit"));
    m_subscriberPath->setPlaceholderText(tr("data.id, data.subscriber_id or data.subscriber.id"));
    form->addRow(tr("Subscriber &id at"), m_subscriberPath);
    form->addRow(tr("Secrets"), secretsBox);

    m_genericBox = new QGroupBox(tr("generic-hmac options"), this);
    auto *genericForm = new QFormLayout(m_genericBox);
    m_header = new QLineEdit(m_genericBox);
    m_prefix = new QLineEdit(m_genericBox);
    m_prefix->setPlaceholderText(QStringLiteral("sha256="));
    m_algorithm = new QComboBox(m_genericBox);
    m_algorithm->addItems(
        {QStringLiteral("sha1"), QStringLiteral("sha256"), QStringLiteral("sha512")});
    m_encoding = new QComboBox(m_genericBox);
    m_encoding->addItems({QStringLiteral("hex"), QStringLiteral("base64")});
    m_template = new QLineEdit(m_genericBox);
    m_template->setPlaceholderText(QStringLiteral("{timestamp}.{body}"));
    m_timestampHeader = new QLineEdit(m_genericBox);
    m_idHeader = new QLineEdit(m_genericBox);
    genericForm->addRow(tr("Signature header"), m_header);
    genericForm->addRow(tr("Prefix"), m_prefix);
    genericForm->addRow(tr("Algorithm"), m_algorithm);
    genericForm->addRow(tr("Encoding"), m_encoding);
    genericForm->addRow(tr("Signed template"), m_template);
    genericForm->addRow(tr("Timestamp header"), m_timestampHeader);
    genericForm->addRow(tr("Id header"), m_idHeader);

    auto *responseBox = new QGroupBox(tr("Answer to the sender"), this);
    auto *responseForm = new QFormLayout(responseBox);
    auto statusSpin = [responseBox](int value) {
        auto *spin = new QSpinBox(responseBox);
        spin->setRange(100, 599);
        spin->setValue(value);
        return spin;
    };
    m_answerStatus = statusSpin(200);
    m_answerStatus->setObjectName(QStringLiteral("answerStatus"));
    m_answerBody = new QLineEdit(responseBox);
    m_answerBody->setPlaceholderText(tr("HookScope's own short JSON"));
    m_answerHeaders = new QPlainTextEdit(responseBox);
    m_answerHeaders->setPlaceholderText(QStringLiteral("X-Example: value"));
    m_answerHeaders->setMaximumHeight(52);
    m_delay = new QSpinBox(responseBox);
    m_delay->setRange(0, 120000);
    m_delay->setSuffix(tr(" ms"));
    m_failFirst = new QSpinBox(responseBox);
    m_failFirst->setRange(0, 100);
    m_failFirst->setSpecialValueText(tr("none"));
    m_failStatus = statusSpin(500);
    m_rejectInvalid =
        new QCheckBox(tr("Answer 401 when the signature does not verify"), responseBox);
    auto *failRow = new QHBoxLayout;
    failRow->addWidget(m_failFirst);
    failRow->addWidget(new QLabel(tr("attempts of each event with status"), responseBox));
    failRow->addWidget(m_failStatus);
    failRow->addStretch();
    responseForm->addRow(tr("Status"), m_answerStatus);
    responseForm->addRow(tr("Body"), m_answerBody);
    responseForm->addRow(tr("Headers"), m_answerHeaders);
    responseForm->addRow(tr("Delay"), m_delay);
    responseForm->addRow(tr("Fail the first"), failRow);
    responseForm->addRow(QString(), m_rejectInvalid);
    m_forwardUrl = new QLineEdit(responseBox);
    m_forwardUrl->setObjectName(QStringLiteral("forwardUrl"));
    m_forwardUrl->setPlaceholderText(QStringLiteral("http://localhost:3000/hooks"));
    m_answerWithApp = new QCheckBox(tr("Answer the sender with the app's answer"), responseBox);
    responseForm->addRow(tr("Forward to"), m_forwardUrl);
    responseForm->addRow(QString(), m_answerWithApp);

    m_status = new QLabel(this);
    m_status->setObjectName(QStringLiteral("statusLabel"));
    m_status->setTextFormat(Qt::PlainText);
    m_status->setWordWrap(true);

    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Save | QDialogButtonBox::Close, this);
    // The form scrolls when the dialog is small; the status line and the buttons stay below it.
    auto *formPage = new QWidget;
    auto *formLayout = new QVBoxLayout(formPage);
    formLayout->setContentsMargins(0, 0, 0, 0);
    formLayout->addLayout(form);
    formLayout->addWidget(m_genericBox);
    formLayout->addWidget(responseBox);
    formLayout->addStretch();
    auto *scroll = new QScrollArea(this);
    scroll->setObjectName(QStringLiteral("endpointFormScroll"));
    scroll->setWidget(formPage);
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    auto *right = new QVBoxLayout;
    right->addWidget(scroll, 1);
    right->addWidget(m_status);
    right->addWidget(buttons);

    auto *layout = new QHBoxLayout(this);
    layout->addLayout(left);
    layout->addLayout(right, 1);
    setMinimumSize(640, 480);

    connect(m_list, &QListWidget::currentRowChanged, this, &EndpointsDialog::showEndpoint);
    connect(addButton, &QPushButton::clicked, this, &EndpointsDialog::newEndpoint);
    connect(removeButton, &QPushButton::clicked, this, &EndpointsDialog::removeCurrent);
    connect(addSecret, &QPushButton::clicked, this, [this] {
        addSecretRow({tr("secret %1").arg(m_secrets->rowCount() + 1), QByteArray()});
        m_secrets->setCurrentCell(m_secrets->rowCount() - 1, 1);
        m_secrets->setFocus();
    });
    connect(removeSecret, &QPushButton::clicked, this, [this] {
        if (m_secrets->currentRow() >= 0)
            m_secrets->removeRow(m_secrets->currentRow());
    });
    connect(m_reveal, &QCheckBox::toggled, this, [this](bool reveal) {
        for (int row = 0; row < m_secrets->rowCount(); ++row) {
            if (auto *edit = qobject_cast<QLineEdit *>(m_secrets->cellWidget(row, 1)))
                edit->setEchoMode(reveal ? QLineEdit::Normal : QLineEdit::Password);
        }
    });
    connect(m_scheme, &QComboBox::currentIndexChanged, this, &EndpointsDialog::updateSchemeOptions);
    connect(m_path, &QLineEdit::textChanged, this, &EndpointsDialog::updateUrl);
    // An edit makes what was said about the last save stale.
    for (QLineEdit *edit : {m_name, m_path})
        connect(edit, &QLineEdit::textEdited, this, [this] {
            m_statusEndpoint.clear();
            setStatus(QString(), false);
        });
    connect(copyUrl, &QPushButton::clicked, this,
            [this] { QApplication::clipboard()->setText(m_url->text()); });
    connect(buttons->button(QDialogButtonBox::Save), &QPushButton::clicked, this,
            &EndpointsDialog::save);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(
        &m_queries, &QueryService::endpointSaved, this,
        [this](const QString &name, const QString &error) {
            if (error.isEmpty()) {
                m_editing = name;
                m_statusEndpoint = name;
                setStatus(
                    tr("Saved \"%1\". Its stored deliveries are being verified again.").arg(name),
                    false);
            } else {
                setStatus(tr("Not saved: %1").arg(error), true);
            }
        });
    connect(&m_queries, &QueryService::endpointRemoved, this,
            [this](const QString &name, const QString &error) {
                setStatus(error.isEmpty() ? tr("Removed \"%1\"; its deliveries stay.").arg(name)
                                          : tr("Not removed: %1").arg(error),
                          !error.isEmpty());
            });

    setEndpoints(endpoints);
    if (endpoints.isEmpty())
        newEndpoint();
}

QString EndpointsDialog::statusText() const
{
    return m_status->text();
}

void EndpointsDialog::setStatus(const QString &text, bool error)
{
    m_status->setText(text);
    QPalette palette = m_status->palette();
    palette.setColor(QPalette::WindowText, error ? QColor(0xc6, 0x28, 0x28)
                                                 : this->palette().color(QPalette::WindowText));
    m_status->setPalette(palette);
}

void EndpointsDialog::setEndpoints(const QList<Endpoint> &endpoints)
{
    m_endpoints = endpoints;
    const QString keep = m_editing;
    m_list->blockSignals(true);
    m_list->clear();
    int select = -1;
    for (int i = 0; i < endpoints.size(); ++i) {
        m_list->addItem(endpoints[i].name);
        if (endpoints[i].name == keep)
            select = i;
    }
    m_list->blockSignals(false);
    if (select >= 0)
        m_list->setCurrentRow(select);
    else if (!keep.isEmpty() || (m_name->text().isEmpty() && !endpoints.isEmpty()))
        m_list->setCurrentRow(endpoints.isEmpty() ? -1 : 0);
}

void EndpointsDialog::addSecretRow(const EndpointSecret &secret)
{
    const int row = m_secrets->rowCount();
    m_secrets->insertRow(row);
    m_secrets->setItem(row, 0, new QTableWidgetItem(secret.label));
    auto *edit = new QLineEdit(QString::fromUtf8(secret.value), m_secrets);
    edit->setEchoMode(m_reveal->isChecked() ? QLineEdit::Normal : QLineEdit::Password);
    edit->setFrame(false);
    m_secrets->setCellWidget(row, 1, edit);
}

void EndpointsDialog::showEndpoint(int row)
{
    if (row < 0 || row >= m_endpoints.size())
        return;
    const Endpoint &e = m_endpoints[row];
    m_editing = e.name;
    m_name->setText(e.name);
    m_path->setText(e.path);
    m_scheme->setCurrentText(schemeName(e.scheme));
    m_tolerance->setValue(e.toleranceSeconds);
    m_subscriberPath->setText(e.subscriberPath);
    showResponse(e.response);
    m_forwardUrl->setText(e.forwardUrl);
    m_answerWithApp->setChecked(e.answerWithApp);
    m_secrets->setRowCount(0);
    for (const EndpointSecret &secret : e.secrets)
        addSecretRow(secret);
    const QString storage = e.secretStorage();
    if (!e.secretProblem.isEmpty())
        m_secretStorage->setText(
            tr("Warning: %1. Saving now would leave it out.").arg(e.secretProblem));
    else if (storage == QLatin1String("keychain"))
        m_secretStorage->setText(tr("Kept in the desktop keychain; the database file holds only "
                                    "a key naming each secret."));
    else if (!storage.isEmpty() && !SecretVault::instance().enabled())
        m_secretStorage->setText(tr("Kept in the database file, as "
                                    "HOOKSCOPE_SECRET_STORAGE=database asks."));
    else if (!storage.isEmpty())
        m_secretStorage->setText(tr("Kept in the database file: no desktop keychain was "
                                    "available when they were saved. Save again once one is to "
                                    "move them there."));
    else
        m_secretStorage->setText(whereSecretsGo());
    m_header->setText(QString::fromLatin1(e.generic.header));
    m_prefix->setText(QString::fromLatin1(e.generic.prefix));
    m_algorithm->setCurrentText(algorithmName(e.generic.algorithm));
    m_encoding->setCurrentText(encodingName(e.generic.encoding));
    m_template->setText(QString::fromUtf8(e.generic.signedTemplate));
    m_timestampHeader->setText(QString::fromLatin1(e.generic.timestampHeader));
    m_idHeader->setText(QString::fromLatin1(e.generic.idHeader));
    updateSchemeOptions();
    updateUrl();
    // What was said about this endpoint (Saved…) stays until it is edited or another is shown.
    if (e.name != m_statusEndpoint)
        setStatus(QString(), false);
}

void EndpointsDialog::newEndpoint()
{
    m_list->clearSelection();
    m_editing.clear();
    m_statusEndpoint.clear();
    const Endpoint defaults;
    m_name->setText(QString());
    m_path->setText(QString());
    m_scheme->setCurrentText(schemeName(SignatureScheme::HostedHooks));
    m_tolerance->setValue(defaults.toleranceSeconds);
    m_subscriberPath->clear();
    showResponse(ResponsePolicy());
    m_forwardUrl->clear();
    m_answerWithApp->setChecked(false);
    m_secrets->setRowCount(0);
    addSecretRow({tr("secret 1"), QByteArray()});
    m_secretStorage->setText(whereSecretsGo());
    m_header->setText(QString::fromLatin1(defaults.generic.header));
    m_prefix->clear();
    m_template->setText(QString::fromUtf8(defaults.generic.signedTemplate));
    m_timestampHeader->clear();
    m_idHeader->clear();
    updateSchemeOptions();
    updateUrl();
    setStatus(tr("A new endpoint: give it a name and a path, then Save."), false);
    m_name->setFocus();
}

void EndpointsDialog::updateSchemeOptions()
{
    m_genericBox->setVisible(m_scheme->currentText() == schemeName(SignatureScheme::GenericHmac));
}

void EndpointsDialog::updateUrl()
{
    const QString path =
        Endpoint::normalizePath(m_path->text().isEmpty() ? QStringLiteral("/") : m_path->text());
    const QString suffix = path == u"/" ? QString() : path;
    // The public URL is what the sender needs; the local one is what it forwards to.
    if (!m_publicUrl.isEmpty())
        m_url->setText(m_publicUrl + suffix);
    else
        m_url->setText(m_listenerUrl.isEmpty() ? tr("(the listener is not running)")
                                               : m_listenerUrl + suffix);
    m_url->setToolTip(m_listenerUrl.isEmpty() ? QString()
                                              : tr("Local: %1").arg(m_listenerUrl + suffix));
}

void EndpointsDialog::setPublicUrl(const QString &url)
{
    m_publicUrl = url;
    updateUrl();
}
Endpoint EndpointsDialog::endpointFromForm(QString *error) const
{
    Endpoint e;
    e.name = m_name->text().trimmed();
    e.path = Endpoint::normalizePath(m_path->text());
    e.scheme = schemeFromName(m_scheme->currentText()).value_or(SignatureScheme::None);
    e.toleranceSeconds = m_tolerance->value();
    e.subscriberPath = m_subscriberPath->text().trimmed();
    e.response.status = m_answerStatus->value();
    e.response.body = m_answerBody->text().toUtf8();
    for (const QString &line : m_answerHeaders->toPlainText().split(u'\n', Qt::SkipEmptyParts)) {
        const qsizetype colon = line.indexOf(u':');
        if (colon <= 0) {
            *error = tr("Each answer header is a line \"Name: value\"; \"%1\" is not.").arg(line);
            continue;
        }
        e.response.headers.append(
            {line.left(colon).trimmed().toLatin1(), line.mid(colon + 1).trimmed().toLatin1()});
    }
    e.response.delayMs = m_delay->value();
    e.response.failFirstAttempts = m_failFirst->value();
    e.response.failStatus = m_failStatus->value();
    e.response.rejectInvalid = m_rejectInvalid->isChecked();
    e.forwardUrl = m_forwardUrl->text().trimmed();
    e.answerWithApp = m_answerWithApp->isChecked();
    if (!e.forwardUrl.isEmpty()) {
        const QUrl forward(e.forwardUrl);
        if (!forward.isValid() || (forward.scheme() != u"http" && forward.scheme() != u"https"))
            *error = tr("Forward to wants an http:// or https:// URL.");
    }
    for (int row = 0; row < m_secrets->rowCount(); ++row) {
        const auto *edit = qobject_cast<QLineEdit *>(m_secrets->cellWidget(row, 1));
        const QByteArray value = edit ? edit->text().toUtf8() : QByteArray();
        if (value.isEmpty())
            continue;
        const QString label =
            m_secrets->item(row, 0) ? m_secrets->item(row, 0)->text().trimmed() : QString();
        e.secrets.append({label.isEmpty() ? tr("secret %1").arg(row + 1) : label, value});
    }
    e.generic.header = m_header->text().trimmed().toLatin1();
    e.generic.prefix = m_prefix->text().toLatin1();
    e.generic.algorithm =
        algorithmFromName(m_algorithm->currentText()).value_or(Hmac::Algorithm::Sha256);
    e.generic.encoding =
        encodingFromName(m_encoding->currentText()).value_or(SignatureEncoding::Hex);
    e.generic.signedTemplate =
        m_template->text().isEmpty() ? QByteArray("{body}") : m_template->text().toUtf8();
    e.generic.timestampHeader = m_timestampHeader->text().trimmed().toLatin1();
    e.generic.idHeader = m_idHeader->text().trimmed().toLatin1();
    if (!error->isEmpty())
        return e;
    if (e.name.isEmpty())
        *error = tr("The endpoint needs a name.");
    else if (m_path->text().trimmed().isEmpty())
        *error = tr("The endpoint needs a path, such as /hooks/hostedhooks.");
    else if (e.scheme == SignatureScheme::GenericHmac && e.generic.header.isEmpty())
        *error = tr("generic-hmac needs the name of the signature header.");
    else if (e.scheme == SignatureScheme::GenericHmac &&
             e.generic.signedTemplate.contains("{timestamp}") &&
             e.generic.timestampHeader.isEmpty())
        *error = tr("The template uses {timestamp}: name the header it comes from.");
    else if (e.scheme == SignatureScheme::GenericHmac &&
             e.generic.signedTemplate.contains("{id}") && e.generic.idHeader.isEmpty())
        *error = tr("The template uses {id}: name the header it comes from.");
    return e;
}

void EndpointsDialog::save()
{
    QString error;
    const Endpoint endpoint = endpointFromForm(&error);
    if (!error.isEmpty()) {
        setStatus(error, true);
        return;
    }
    if (endpoint.scheme != SignatureScheme::None && !endpoint.hasSecret())
        setStatus(tr("Saving without a secret: signatures will not be checked."), false);
    else
        setStatus(tr("Saving…"), false);
    m_queries.requestSaveEndpoint(endpoint, m_editing);
}

void EndpointsDialog::removeCurrent()
{
    if (m_editing.isEmpty())
        return;
    const auto answer = QMessageBox::question(
        this, tr("Remove endpoint"),
        tr("Remove the endpoint \"%1\"? Its stored deliveries stay; new requests to its path "
           "will no longer be verified.")
            .arg(m_editing));
    if (answer != QMessageBox::Yes)
        return;
    m_queries.requestRemoveEndpoint(m_editing);
    m_editing.clear();
}

void EndpointsDialog::showResponse(const ResponsePolicy &response)
{
    m_answerStatus->setValue(response.status);
    m_answerBody->setText(QString::fromUtf8(response.body));
    QStringList headers;
    for (const auto &[name, value] : response.headers)
        headers.append(QString::fromLatin1(name) + QStringLiteral(": ") +
                       QString::fromLatin1(value));
    m_answerHeaders->setPlainText(headers.join(u'\n'));
    m_delay->setValue(response.delayMs);
    m_failFirst->setValue(response.failFirstAttempts);
    m_failStatus->setValue(response.failStatus);
    m_rejectInvalid->setChecked(response.rejectInvalid);
}
