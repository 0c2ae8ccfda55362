#pragma once

#include <QWidget>

class QLabel;
class QPushButton;

// What the empty delivery list shows: the steps from nothing to a first delivery, each with
// the button that does it, ticked off as they are done. The window replaces it with the list
// once a delivery arrives.
class FirstRunGuide : public QWidget
{
    Q_OBJECT

public:
    struct State
    {
        QString endpointName; // the endpoint a sender would post to; empty: none yet
        QString endpointPath;
        bool endpointHasSecret = false;
        quint16 port = 0;  // the listener's port; 0: not listening
        QString localUrl;  // http://127.0.0.1:PORT
        QString publicUrl; // the ngrok tunnel's URL; empty: no tunnel to this listener
    };

    explicit FirstRunGuide(QWidget *parent = nullptr);

    void setState(const State &state);
    const State &state() const { return m_state; }

    // The texts of the steps, for tests and screen readers.
    QStringList stepTexts() const;
    // What the sender should be given: the public URL and the endpoint's path (the local one
    // until a tunnel runs).
    QString senderUrl() const;

Q_SIGNALS:
    void addEndpointRequested();
    void sendSampleRequested();

private:
    struct Step
    {
        QLabel *mark = nullptr;
        QLabel *text = nullptr;
        QPushButton *button = nullptr;
    };
    Step addStep(class QGridLayout *grid, int row, const QString &buttonText);
    void setStep(Step &step, bool done, const QString &text, bool buttonEnabled = true);
    void copy(const QString &text, const QString &what);

    State m_state;
    Step m_endpoint;
    Step m_tunnel;
    Step m_register;
    Step m_sample;
    QLabel *m_feedback = nullptr;
};
