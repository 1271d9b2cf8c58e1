// A one-line progress bar on stderr, drawn only when stderr is a terminal.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>
#include <unistd.h>

namespace fleek::flk {

class ProgressBar {
public:
    explicit ProgressBar(std::string label) : m_label(std::move(label)), m_enabled(::isatty(STDERR_FILENO) == 1) {}
    ~ProgressBar() { finish(); }

    void update(uint64_t done, uint64_t total) {
        if (!m_enabled) return;
        const auto now = std::chrono::steady_clock::now();
        if (now - m_last_draw < std::chrono::milliseconds(100) && done != total) return;
        m_last_draw = now;
        const double seconds = std::chrono::duration<double>(now - m_start).count();
        const double rate = seconds > 0 ? static_cast<double>(done) / seconds : 0;
        constexpr int width = 30;
        const int filled = total > 0 ? static_cast<int>(width * static_cast<double>(done) / static_cast<double>(total)) : 0;
        std::string bar(static_cast<size_t>(filled), '#');
        bar.resize(width, '-');
        std::fprintf(stderr, "\r%s [%s] %3d%% %s / %s  %s/s   ", m_label.c_str(), bar.c_str(),
                     total > 0 ? static_cast<int>(100.0 * static_cast<double>(done) / static_cast<double>(total)) : 0,
                     human(static_cast<double>(done)).c_str(), human(static_cast<double>(total)).c_str(),
                     human(rate).c_str());
        m_drawn = true;
    }

    void finish() {
        if (m_drawn) std::fputc('\n', stderr);
        m_drawn = false;
    }

private:
    static std::string human(double bytes) {
        const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
        int unit = 0;
        while (bytes >= 1024 && unit < 4) bytes /= 1024, ++unit;
        char text[32];
        std::snprintf(text, sizeof(text), unit == 0 ? "%.0f %s" : "%.1f %s", bytes, units[unit]);
        return text;
    }

    std::string m_label;
    bool m_enabled;
    bool m_drawn = false;
    std::chrono::steady_clock::time_point m_start = std::chrono::steady_clock::now();
    std::chrono::steady_clock::time_point m_last_draw{};
};

}  // namespace fleek::flk
