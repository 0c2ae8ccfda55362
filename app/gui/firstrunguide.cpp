#include "firstrunguide.h"

#include <QApplication>
#include <QClipboard>
#include <QGridLayout>
#include <QLabel>
#include <QPushButton>
#include <QVBoxLayout>

namespace {

QLabel *plain(QWidget *parent, const QString &text = {})
{
    auto *label = new QLabel(text, parent);
    label->setTextFormat(Qt::PlainText);
    label->setWordWrap(true);
    label->setTextInteractionFlags(Qt::TextSelectableByMouse);
    return label;
}

} // namespace

FirstRunGuide::FirstRunGuide(QWidget *parent)
    : QWidget(parent)
{
    setObjectName(QStringLiteral("firstRunGuide"));
    auto *outer = new QVBoxLayout(this);
    outer->setContentsMargins(24, 24, 24, 24);
    QLabel *title = plain(this, tr("No deliveries yet. Four steps to the first one:"));
    QFont bigger = title->font();
    bigger.setPointSizeF(bigger.pointSizeF() * 1.3);
    bigger.setBold(true);
    title->setFont(bigger);
    outer->addWidget(title);

    auto *grid = new QGridLayout;
    grid->setColumnStretch(1, 1);
    grid->setVerticalSpacing(14);
    m_endpoint = addStep(grid, 0, tr("&Add endpoint…"));
    m_tunnel = addStep(grid, 1, tr("Copy &command"));
    m_register = addStep(grid, 2, tr("Copy &URL"));
    m_sample = addStep(grid, 3, tr("Send a &sample"));
    outer->addLayout(grid);
    m_feedback = plain(this);
    m_feedback->setObjectName(QStringLiteral("guideFeedback"));
    outer->addWidget(m_feedback);
    outer->addWidget(plain(this, tr("This guide gives way to the list once a delivery arrives.")));
    outer->addStretch();

    connect(m_endpoint.button, &QPushButton::clicked, this, &FirstRunGuide::addEndpointRequested);
    connect(m_tunnel.button, &QPushButton::clicked, this, [this] {
        if (m_state.publicUrl.isEmpty())
            copy(QStringLiteral("ngrok http %1").arg(m_state.port), tr("the ngrok command"));
        else
            copy(m_state.publicUrl, tr("the tunnel's URL"));
    });
    connect(m_register.button, &QPushButton::clicked, this,
            [this] { copy(senderUrl(), tr("the URL to give the sender")); });
    connect(m_sample.button, &QPushButton::clicked, this, &FirstRunGuide::sendSampleRequested);
    setState({});
}

FirstRunGuide::Step FirstRunGuide::addStep(QGridLayout *grid, int row, const QString &buttonText)
{
    Step step;
    step.mark = new QLabel(this);
    step.mark->setTextFormat(Qt::PlainText);
    step.mark->setAlignment(Qt::AlignTop | Qt::AlignHCenter);
    step.mark->setMinimumWidth(step.mark->fontMetrics().horizontalAdvance(QStringLiteral("✔ 4.")));
    step.text = plain(this);
    step.button = new QPushButton(buttonText, this);
    grid->addWidget(step.mark, row, 0);
    grid->addWidget(step.text, row, 1);
    grid->addWidget(step.button, row, 2, Qt::AlignTop);
    return step;
}

void FirstRunGuide::setStep(Step &step, bool done, const QString &text, bool buttonEnabled)
{
    const int number = &step == &m_endpoint   ? 1
                       : &step == &m_tunnel   ? 2
                       : &step == &m_register ? 3
                                              : 4;
    step.mark->setText(done ? QStringLiteral("✔ %1.").arg(number)
                            : QStringLiteral("%1.").arg(number));
    step.text->setText(text);
    step.button->setEnabled(buttonEnabled);
}

void FirstRunGuide::setState(const State &state)
{
    m_state = state;
    const bool hasEndpoint = !state.endpointName.isEmpty();
    setStep(m_endpoint, hasEndpoint,
            hasEndpoint
                ? tr("Endpoint \"%1\" receives on %2%3.")
                      .arg(state.endpointName, state.endpointPath,
                           state.endpointHasSecret
                               ? QString()
                               : tr(" (no secret yet: add the sender's signing secret to "
                                    "verify its signatures)"))
                : tr("Add an endpoint: the path the sender posts to, its signature scheme and "
                     "its signing secret."));
    m_endpoint.button->setText(hasEndpoint ? tr("&Endpoints…") : tr("&Add endpoint…"));

    const bool tunnel = !state.publicUrl.isEmpty();
    if (state.port == 0)
        setStep(m_tunnel, false,
                tr("Start the listener (the Start button above), then open a public tunnel to "
                   "it with ngrok."),
                false);
    else if (tunnel)
        setStep(m_tunnel, true, tr("ngrok forwards %1 to this listener.").arg(state.publicUrl));
    else
        setStep(m_tunnel, false,
                tr("Open a public tunnel to this listener: run  ngrok http %1  in a terminal. "
                   "Its URL shows here once ngrok answers.")
                    .arg(state.port));
    m_tunnel.button->setText(tunnel ? tr("Copy tunnel &URL") : tr("Copy &command"));

    setStep(m_register, false,
            hasEndpoint && state.port != 0
                ? (tunnel ? tr("Register %1 with the sender (for HostedHooks: your endpoint "
                               "URL in the HostedHooks Providers subscription).")
                                .arg(senderUrl())
                          : tr("Register the tunnel's URL and %1 with the sender; until the "
                               "tunnel runs, %2 reaches this listener from this machine only.")
                                .arg(state.endpointPath, senderUrl()))
                : tr("Register the tunnel's URL and the endpoint's path with the sender."),
            hasEndpoint && state.port != 0);
    setStep(m_sample, false,
            hasEndpoint && state.port != 0
                ? tr("Or see one now: send a correctly signed sample to \"%1\".")
                      .arg(state.endpointName)
                : tr("Or see one now: send a signed sample, once there is an endpoint and the "
                     "listener runs."),
            hasEndpoint && state.port != 0);
}

QStringList FirstRunGuide::stepTexts() const
{
    return {m_endpoint.text->text(), m_tunnel.text->text(), m_register.text->text(),
            m_sample.text->text()};
}

QString FirstRunGuide::senderUrl() const
{
    const QString base = m_state.publicUrl.isEmpty() ? m_state.localUrl : m_state.publicUrl;
    QString path = m_state.endpointPath;
    if (path == u"/")
        path.clear();
    return base + path;
}

void FirstRunGuide::copy(const QString &text, const QString &what)
{
    QApplication::clipboard()->setText(text);
    m_feedback->setText(tr("Copied %1: %2").arg(what, text));
}
